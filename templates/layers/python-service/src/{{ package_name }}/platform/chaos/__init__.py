"""The chaos experiment's tooling: `make chaos` runs chaos/experiment.json against the service.

- activities.py: the probes and the control the experiment calls (Chaos Toolkit's Python provider);
- verdicts.py: the verdict per hypothesis, read from a Chaos Toolkit journal;
- run.py: the service in the background behind a fault proxy (../faults.py), `chaos run`, the verdicts.

Used by `make chaos`, its CI job and the service's tests; needs the test extra
(chaostoolkit).
"""
