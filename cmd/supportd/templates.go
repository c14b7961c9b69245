package main

import (
	"context"
	"fmt"
	"strings"

	"supportd/internal/clock"
	"supportd/store"
	"supportd/templates"
	"supportd/workflow"
)

const templatesHelp = `templates list            the saved replies and the fields they can use
templates render NAME --ticket N [--html]
                          renders NAME for ticket N exactly as it would be sent

Templates are embedded in the binary; a file of the same name in the
directory named by support.templates_dir overrides one.`

func cmdTemplates(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "templates")
	cfgPath := fs.String("config", defaultConfigPath, "configuration file")
	storePath := fs.String("store", "", "SQLite store (instead of the config's)")
	ticket := fs.Int64("ticket", 0, "ticket number to render for")
	html := fs.Bool("html", false, "print the HTML alternative instead of the text")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("templates needs list or render NAME")
	}
	dir := ""
	wcfg := workflow.Config{SupportAddr: "support@example.com", SupportName: "Example Support"}
	if cfg, err := loadConfig(*cfgPath, e); err == nil {
		dir = cfg.Support.TemplatesDir
		wcfg = daemonOptions(cfg, nil).Workflow
		if *storePath == "" {
			*storePath = cfg.Store.Path
		}
	} else if *storePath == "" && pos[0] == "render" {
		return err
	}
	set, err := templates.Load(dir)
	if err != nil {
		return err
	}
	switch pos[0] {
	case "list":
		fmt.Fprintln(e.stdout, "Templates:")
		for _, n := range set.Names() {
			fmt.Fprintf(e.stdout, "  %s\n", n)
		}
		fmt.Fprintln(e.stdout, "\nFields:")
		for _, f := range templates.Fields() {
			fmt.Fprintf(e.stdout, "  {{.%s}}\n      %s\n", f.Name, f.Description)
		}
		return nil
	case "render":
		if len(pos) != 2 {
			return usagef("templates render NAME --ticket N")
		}
		if *ticket <= 0 {
			return usagef("templates render needs --ticket N")
		}
		db, err := openStoreFromFlags(ctx, e, *cfgPath, *storePath)
		if err != nil {
			return err
		}
		defer db.Close()
		var tk *store.Ticket
		if err := db.View(ctx, func(tx *store.Tx) error {
			tk, err = tx.Ticket(*ticket)
			return err
		}); err != nil {
			return err
		}
		eng := workflow.NewEngine(db, clock.Real{}, set, wcfg, nil)
		r, err := eng.RenderFor(pos[1], tk)
		if err != nil {
			return err
		}
		if *html {
			if r.HTML == "" {
				return fmt.Errorf("template %s has no HTML alternative", pos[1])
			}
			fmt.Fprintln(e.stdout, r.HTML)
			return nil
		}
		fmt.Fprintln(e.stdout, strings.TrimRight(r.Text, "\n"))
		return nil
	}
	return usagef("unknown templates action %q (list or render)", pos[0])
}
