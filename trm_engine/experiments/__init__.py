"""The paper's claims as runnable experiment suites, with results beside the paper's numbers."""
