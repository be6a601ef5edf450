"""Model backends: transformers, OpenAI-compatible HTTP, replay of recorded outputs.

Each meets :class:`assay.kernel.backends.ModelBackend`.
"""
