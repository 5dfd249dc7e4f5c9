"""The Explore labs' engines: robustness, adversarial noise, spectrum, ROC and thresholds, provenance."""
