"""Learned upscalers (the Real-ESRGAN family) loaded from the official weight files.

Only registry.py and trt_cache.py are importable without the `models` extra (torch, onnx,
onnxruntime); everything else imports torch, so microdrama's core never loads it by accident.
"""
