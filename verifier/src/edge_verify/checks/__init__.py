"""Pure checks, one module per concern: facts in, a list of problem.Problem out."""
