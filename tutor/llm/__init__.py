"""The chat client (OpenAI-compatible: embedded llama.cpp or vLLM), streaming, structured output, serving, loop detection."""
