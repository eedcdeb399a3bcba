"""The reliability soak (``make soak``, ``python -m tests.soak``): the real development stack on
free ports, broken the way crashes break it while cases run, and every case checked against every
trace it should leave. Figures and what they prove: docs/reliability.md."""
