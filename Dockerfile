# orderbot: Slack chat-ops for Ingram Micro orders. See README.md, "Run it with Docker".
FROM python:3.11-slim AS build
WORKDIR /src
# setup.py copies rules/ and manifest.yaml into the package: the build needs all of them.
COPY pyproject.toml setup.py MANIFEST.in README.md manifest.yaml ./
COPY rules ./rules
COPY bot ./bot
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
LABEL org.opencontainers.image.title="orderbot" \
      org.opencontainers.image.description="Slack chat-ops for Ingram Micro orders"
RUN groupadd --system --gid 10001 orderbot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin orderbot \
    && mkdir -p /data \
    && chown 10001:10001 /data
COPY --from=build /install /usr/local
WORKDIR /app
# No rules are baked in: serve reads ./rules (/app/rules), so mount yours there; without them it
# stops with a message instead of posting to the examples' channels. The demo uses the example
# rules shipped inside the package (`orderbot rules init` writes a copy to start from).
ENV PYTHONUNBUFFERED=1 \
    ORDERBOT_DB=/data/orderbot.db \
    ORDERBOT_PORT=3000 \
    ORDERBOT_HEALTH_PORT=8081
VOLUME ["/data"]
USER 10001:10001
# 3000: Slack's request URL and /healthz in HTTP mode; 8081: /healthz in Socket Mode.
EXPOSE 3000 8081
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["orderbot", "health"]
CMD ["orderbot", "serve"]
