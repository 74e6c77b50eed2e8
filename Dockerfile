# The fnf image of docker-compose.yml: `fnf api` and `fnf worker` (FNF_TEMPORAL_ADDRESS set, so
# no embedded dev server). A pinned base, and a user without a shell login instead of root.
FROM python:3.11.11-slim-bookworm
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e . \
    && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin fnf
USER fnf
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
CMD ["fnf", "--help"]
