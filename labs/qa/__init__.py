"""Quality assurance: what proves the labs work, used by the tests, the demonstration and the benchmarks.

:mod:`.execute` runs a notebook as nbgrader grades it; :mod:`.faults` reads a lab's catalogue of plausible wrong
answers, which :mod:`.fault_runs` runs by forking one kernel per fault (:mod:`.kernel_fork`); :mod:`.submissions` writes example
submissions (the solution, the blank release, wrong and partly right ones); :mod:`.demo` releases and grades them
(``make demo``); :mod:`.seed_probe` runs each quick test cell again at other seeds; :mod:`.benchmark` and :mod:`.benchmark_cluster` measure grading throughput.
"""
