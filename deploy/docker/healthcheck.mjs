// Container health check: exit 0 when GET <url> answers 200 within 3 s, else 1.
// The image has no curl or wget; Node's fetch does it. The URL is PROMDEDUP_HEALTH_URL
// (default: promdedup query's http://127.0.0.1:10902/-/healthy; promdedup ingest listens on :8080).
const url = process.env.PROMDEDUP_HEALTH_URL || 'http://127.0.0.1:10902/-/healthy';
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  await res.arrayBuffer();
  if (res.status !== 200) {
    console.error(`${url}: HTTP ${res.status}`);
    process.exit(1);
  }
} catch (err) {
  console.error(`${url}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
