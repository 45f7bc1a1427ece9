"""Layer 8, present: live views of runs for notebooks (below ``run`` because
``run_program(display=True)`` and ``run_batch`` show them)."""

