"""Command-line subcommands: thin adapters from arguments to services, printing results."""
