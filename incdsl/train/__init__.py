"""Training: the runner and the plots of its metrics."""
