"""Training: the runner behind `incdsl train` and `incdsl eval`."""
