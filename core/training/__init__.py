"""Offline tools run from the command line: training, evaluation, held-out reports, the model card."""
