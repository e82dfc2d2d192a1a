"""The team sync server (`workbench[server]`): accounts, devices and, later, push and pull.

It is stateless by design (DESIGN §5 "Scale path"): everything it knows lives in the database,
so several server processes can share one PostgreSQL behind a load balancer. SQLite is the
zero-set-up default for one small team.
"""
