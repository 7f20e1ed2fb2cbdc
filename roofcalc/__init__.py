"""roofcalc: closed-form roofline estimates of LLM inference latency, throughput and price."""

__version__ = "0.1.0"
