"""Analysts' notebooks from the outside: how they are run, shared and kept clean in git.

- :mod:`.runner`: find the numbered notebooks and execute them with papermill, with
  parameters (each notebook gets those it declares in its ``parameters`` cell);
- :mod:`.render`: executed notebooks as standalone HTML for the agency's leadership;
- :mod:`.hygiene`: notebooks are committed without outputs (check and strip);
- ``python -m recsys.notebooks run|render|check|strip``: the command over them
  (:mod:`.__main__`).

What a notebook uses from inside (data locations, MLflow runs) is
:mod:`recsys.analysis.notebook`.
"""
