// Command sluice runs the Sluice streaming query server. It is wiring only:
// flags and environment become package Options, and the components run as
// one actor group. Anything that needs a test beyond that belongs in a
// package below cmd.
//
// # Configuration
//
// Every flag can also be set as SLUICE_<NAME> (upper case, dashes as
// underscores, e.g. SLUICE_BATCH_INTERVAL); a flag given on the command line
// wins over the environment (config.go).
//
// # Startup
//
// slog text logger on stderr → state.Open(<data-dir>/state) → embedded
// broker (ingest.StartBroker on --kafka-listen, <data-dir>/kafka) unless
// --brokers is set → ingest.NewClient → exec.NewEngine (loads the catalog
// and resumes persistent queries) → server.NewServer. With --demo, the
// Nexmark streams are declared through the SQL front end before serving.
//
// # Actors and goroutines
//
// group (group.go, after oklog/run) runs one goroutine per actor: the
// signal watcher, the pgwire server, the metrics HTTP server
// (--metrics-listen) and the demo generator (--demo). When any actor
// returns, all are interrupted and the group waits for every one.
//
// # Shutdown
//
// The first SIGINT or SIGTERM ends the signal actor, which interrupts the
// others: the server stops accepting and ends its sessions, the metrics
// server and the generator stop. Then, in reverse order of construction,
// the engine closes (stops queries, final checkpoint), then the Kafka
// client, the broker and the store. A second signal during all this exits
// at once with status 1. Exit status: 0 after a clean stop, 1 when a
// component failed, 2 for bad flags.
package main
