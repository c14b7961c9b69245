package restate

import "testing"

func TestDbg(t *testing.T) {
	m := &message{names: map[string]bool{}}
	for _, s := range []string{"Hi, my order #1234567 has not arrived yet.", "You charged me $50 instead of $5!"} {
		c, l := m.analyze(s, true)
		t.Logf("%v %+v", l, c)
		x := stripLeadIns(stripGreeting(s))
		t.Logf("%q pleas=%v eng=%v prose=%v", x, isPleasantry(x), isEnglish(x), isProse(x))
	}
}
