FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY bot bot
COPY mail mail
COPY scheduler scheduler
COPY models models
RUN pip install --no-cache-dir .
ENV RELAIS_DATA_DIR=/data
VOLUME /data
# Without a terminal `relais run` is a service: the configured platforms, mail gateway and scheduler.
CMD ["relais", "run"]
