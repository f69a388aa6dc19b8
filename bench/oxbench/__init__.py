"""oxible's benchmark harness: oxible against ansible-core (and Mitogen) on the same targets in
one run. `bench/run.py` is the command; this package holds its parts: measuring one run
(`measure`), the playbooks (`playbooks`), the replayed command floor (`floor`), the container
hosts (`hosts`) and the report (`report`)."""
