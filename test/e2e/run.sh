#!/usr/bin/env bash
# End-to-end suite: supportd against a real Dovecot (IMAP + LMTP) and a real
# Postfix from Debian, all on 127.0.0.1, started without systemd from
# throw-away configs in a temporary directory.
#
#   make e2e                    builds bin/supportd, then runs this script
#   E2E_KEEP=1 make e2e         keep the temporary directory (logs, mail, store)
#   E2E_RUN='TestE2E/a_' make e2e   run only matching tests (go test -run)
#
# Needs root (it installs packages, and Postfix's master runs as root).
# It stops only the daemons it started itself, by their pid files/pids, also
# on failure. Every wait is bounded; the whole run takes a few minutes.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

say() { printf 'e2e: %s\n' "$*" >&2; }
die() { say "FATAL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root: the suite installs Debian packages and starts Postfix"
# E2E_BIN may name another build (handy while developing the suite).
BIN=${E2E_BIN:-$ROOT/bin/supportd}
[ -x "$BIN" ] || die "$BIN is missing: run 'make e2e' (which builds it first)"

# ---------------------------------------------------------------- packages
# dovecot-imapd/-lmtpd, postfix, swaks, mutt for the mail stack; systemd for
# systemd-analyze; openssl for the test certificate. Postfix is preseeded to
# "No configuration" so the install never prompts and configures nothing.
install_missing() {
	local missing=() p
	declare -A have=(
		[dovecot-imapd]=/usr/lib/dovecot/imap
		[dovecot-lmtpd]=/usr/lib/dovecot/lmtp
		[postfix]=/usr/sbin/postfix
		[swaks]=/usr/bin/swaks
		[mutt]=/usr/bin/mutt
		[systemd]=/usr/bin/systemd-analyze
		[openssl]=/usr/bin/openssl
	)
	for p in "${!have[@]}"; do
		[ -e "${have[$p]}" ] || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	export DEBIAN_FRONTEND=noninteractive
	# The packages would start the system's Dovecot on every interface;
	# the suite runs its own instances. A policy-rc.d that denies service
	# starts (invoke-rc.d and deb-systemd-invoke honour it) is put in place
	# for the install only, and only if the machine has none of its own.
	local policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\n# supportd e2e: no service starts during the install\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT # if the install is interrupted
	fi
	local rc=0
	timeout 300 apt-get update -qq && timeout 300 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
	if [ -n "$policy" ]; then
		rm -f "$policy"
		trap - EXIT
	fi
	[ "$rc" = 0 ] || die "apt-get failed (status $rc)"
}
install_missing

# ---------------------------------------------------------------- workspace
T=$(mktemp -d /tmp/supportd-e2e.XXXXXX)
# Dovecot's mail processes (uid mail) and Postfix's daemons (uid postfix)
# must be able to traverse it.
chmod 0755 "$T"
DOVECOT_CONF=$T/dovecot/dovecot.conf
POSTFIX_DIR=$T/postfix/conf # config_directory; queue, data and log beside it
POSTFIX_QUEUE=$T/postfix/queue
PIDFILE=$T/pids # pids of supportd processes the Go test started
: >"$PIDFILE"
STARTED_DOVECOT=0
STARTED_POSTFIX=0

# pid_of_file prints the pid in a pid file, if the file exists and the
# process is alive.
pid_of_file() {
	local f=$1 pid
	[ -s "$f" ] || return 1
	pid=$(tr -dc 0-9 <"$f")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# wait_gone waits (bounded) for a pid to exit, then SIGKILLs it.
wait_gone() {
	local pid=$1 i
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	say "pid $pid still running after 10s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$? pid
	set +e
	# supportd processes the Go test started and did not reap (e.g. the test
	# binary was killed): only those pids, and only if they still are supportd.
	while read -r pid; do
		[ -n "$pid" ] || continue
		if kill -0 "$pid" 2>/dev/null && grep -q supportd "/proc/$pid/cmdline" 2>/dev/null; then
			say "stopping leftover supportd pid $pid"
			kill -TERM "$pid" 2>/dev/null
			wait_gone "$pid"
		fi
	done <"$PIDFILE"
	# The test may have restarted the daemons, so read the current pids from
	# their own pid files (inside $T, i.e. only our instances).
	if [ "$STARTED_POSTFIX" = 1 ]; then
		pid=$(pid_of_file "$POSTFIX_QUEUE/pid/master.pid")
		timeout 30 postfix -c "$POSTFIX_DIR" stop >/dev/null 2>&1
		[ -n "$pid" ] && wait_gone "$pid"
	fi
	if [ "$STARTED_DOVECOT" = 1 ]; then
		pid=$(pid_of_file "$T/dovecot/run/master.pid")
		timeout 30 doveadm -c "$DOVECOT_CONF" stop >/dev/null 2>&1
		[ -n "$pid" ] && wait_gone "$pid"
	fi
	if [ "$rc" != 0 ]; then
		say "failed (status $rc); logs:"
		for f in "$T"/dovecot/dovecot.log "$T"/postfix/maillog; do
			[ -f "$f" ] && { say "--- tail of $f"; tail -n 30 "$f" >&2; }
		done
	fi
	if [ "${E2E_KEEP:-}" = 1 ] || [ "$rc" != 0 ]; then
		say "kept $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# free_port VAR sets VAR to a TCP port on 127.0.0.1 that nothing listens on
# and that this run has not picked yet (no command substitution: the list of
# picked ports must survive the call).
PICKED=" "
free_port() {
	local p i
	for i in $(seq 200); do
		p=$((20000 + RANDOM % 20000))
		case $PICKED in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			PICKED+="$p "
			printf -v "$1" '%s' "$p"
			return 0
		fi
	done
	die "no free port found"
}

# wait_banner waits until a TCP port on 127.0.0.1 greets with the expected
# prefix (bounded).
wait_banner() {
	local port=$1 want=$2 what=$3 i line
	for i in $(seq 100); do
		if exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
			line=$(timeout 2 head -n1 <&3 || true)
			exec 3<&- 3>&-
			case $line in "$want"*) return 0 ;; esac
		fi
		sleep 0.2
	done
	die "$what did not answer on 127.0.0.1:$port within 20s"
}

free_port IMAP_PORT
free_port LMTP_PORT
free_port SMTP_PORT
CUSTOMERS=${E2E_CUSTOMERS:-100}
say "workspace $T; IMAP $IMAP_PORT, LMTP $LMTP_PORT, SMTP $SMTP_PORT; $CUSTOMERS customers"

# ---------------------------------------------------------------- Dovecot
# IMAP (plain and STARTTLS with a self-signed certificate) and LMTP on
# loopback; a static passwd-file of test users; every mailbox owned by the
# system user "mail" (mail processes may not run as root).
mkdir -p "$T/dovecot/run" "$T/dovecot/state" "$T/mail"
chown mail:mail "$T/mail"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	-keyout "$T/dovecot/key.pem" -out "$T/dovecot/cert.pem" 2>/dev/null
chmod 0600 "$T/dovecot/key.pem"

SUPPORT_PASS=support-$RANDOM$RANDOM
USER_PASS=user-$RANDOM$RANDOM
printf '%s' "$SUPPORT_PASS" >"$T/imap-password"
chmod 0600 "$T/imap-password"
{
	echo "support@example.test:{PLAIN}$SUPPORT_PASS::::::"
	for u in agent1 agent2; do echo "$u@example.test:{PLAIN}$USER_PASS::::::"; done
	for i in $(seq "$CUSTOMERS"); do echo "customer$i@example.test:{PLAIN}$USER_PASS::::::"; done
} >"$T/dovecot/users"
chmod 0644 "$T/dovecot/users" # test passwords; the auth process must read it

MAIL_UID=$(id -u mail)
DH=""
[ -f /usr/share/dovecot/dh.pem ] && DH="ssl_dh = </usr/share/dovecot/dh.pem"
cat >"$DOVECOT_CONF" <<EOF
# Throw-away Dovecot for supportd's e2e suite: loopback only, state in $T.
instance_name = supportd-e2e-$$
base_dir = $T/dovecot/run
state_dir = $T/dovecot/state
log_path = $T/dovecot/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <$T/dovecot/cert.pem
ssl_key = <$T/dovecot/key.pem
$DH
# Plain IMAP logins are part of what we test (tls = "none" clients).
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Lu
passdb {
  driver = passwd-file
  args = scheme=PLAIN $T/dovecot/users
}
userdb {
  driver = passwd-file
  args = $T/dovecot/users
  default_fields = uid=mail gid=mail home=$T/mail/%d/%n
}
mail_location = maildir:~/Maildir
first_valid_uid = $MAIL_UID
first_valid_gid = $(id -g mail)
mail_fsync = never
# support+12-token@example.test is support's INBOX, with Delivered-To kept.
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
EOF
dovecot -c "$DOVECOT_CONF" || die "dovecot did not start: $(tail -n 20 "$T/dovecot/dovecot.log" 2>/dev/null)"
STARTED_DOVECOT=1
wait_banner "$IMAP_PORT" "* OK" "Dovecot IMAP"
wait_banner "$LMTP_PORT" "220" "Dovecot LMTP"
say "dovecot pid $(pid_of_file "$T/dovecot/run/master.pid")"

# ---------------------------------------------------------------- Postfix
# A standalone instance with its own config, queue and data directories:
# accepts mail for example.test on a loopback port and hands it to Dovecot
# over LMTP. No DNS, no chroot, short retry times so an outage heals fast.
# The queue and data directories are not inside the config directory:
# postfix check wants everything under the latter owned by root.
mkdir -p "$POSTFIX_DIR" "$POSTFIX_QUEUE" "$T/postfix/data"
chown postfix "$T/postfix/data"
cat >"$POSTFIX_DIR/main.cf" <<EOF
# Throw-away Postfix for supportd's e2e suite.
compatibility_level = 3.6
queue_directory = $POSTFIX_QUEUE
data_directory = $T/postfix/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $T/postfix/maillog
maillog_file_prefixes = $T
myhostname = mx.example.test
mydomain = example.test
myorigin = example.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
# Every example.test address goes to Dovecot, which knows the users.
virtual_mailbox_domains = example.test
virtual_mailbox_maps = static:OK
virtual_transport = lmtp:inet:127.0.0.1:$LMTP_PORT
recipient_delimiter = +
# No DNS anywhere.
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
# Deferred mail (Dovecot down) is retried within seconds, not minutes.
queue_run_delay = 3s
minimal_backoff_time = 3s
maximal_backoff_time = 10s
lmtp_connection_cache_on_demand = no
# No flow-control pauses: a burst of 100 mails should arrive as a burst.
in_flow_delay = 0s
biff = no
append_dot_mydomain = no
smtputf8_enable = no
EOF
# The package's master.cf with every service unchrooted (a chroot would need
# copies of /etc files inside the queue directory) and the public smtpd
# listener replaced by one on our loopback port.
awk -v listen="127.0.0.1:$SMTP_PORT" '
	/^smtp[ \t]+inet[ \t]/ { print listen "\tinet\tn\t-\tn\t-\t-\tsmtpd"; next }
	/^[a-zA-Z0-9]/ && NF >= 8 { $5 = "n"; print; next }
	{ print }
' /etc/postfix/master.cf >"$POSTFIX_DIR/master.cf"
grep -q "^127.0.0.1:$SMTP_PORT" "$POSTFIX_DIR/master.cf" || die "master.cf: no smtpd listener written"
grep -q '^postlog' "$POSTFIX_DIR/master.cf" ||
	printf 'postlog\tunix-dgram\tn\t-\tn\t-\t1\tpostlogd\n' >>"$POSTFIX_DIR/master.cf"

postfix -c "$POSTFIX_DIR" check >"$T/postfix-check.log" 2>&1 || {
	cat "$T/postfix-check.log" >&2
	die "postfix check failed"
}
STARTED_POSTFIX=1
timeout 60 postfix -c "$POSTFIX_DIR" start >"$T/postfix-start.log" 2>&1 || {
	cat "$T/postfix-start.log" >&2
	die "postfix did not start"
}
wait_banner "$SMTP_PORT" "220" "Postfix smtpd"
say "postfix pid $(pid_of_file "$POSTFIX_QUEUE/pid/master.pid")"

# ---------------------------------------------------------------- the suite
export E2E_BIN=$BIN
export E2E_ROOT=$ROOT
export E2E_DIR=$T
export E2E_IMAP_PORT=$IMAP_PORT E2E_LMTP_PORT=$LMTP_PORT E2E_SMTP_PORT=$SMTP_PORT
export E2E_DOVECOT_CONF=$DOVECOT_CONF E2E_DOVECOT_LOG=$T/dovecot/dovecot.log
export E2E_POSTFIX_DIR=$POSTFIX_DIR E2E_MAILLOG=$T/postfix/maillog
export E2E_SUPPORT_PASSWORD_FILE=$T/imap-password E2E_USER_PASSWORD=$USER_PASS
export E2E_CUSTOMERS=$CUSTOMERS E2E_PIDFILE=$PIDFILE

say "running the scenarios"
timeout 540 go test -tags e2e -count=1 -v -timeout 530s ${E2E_RUN:+-run "$E2E_RUN"} ./test/e2e/
say "all scenarios passed"
