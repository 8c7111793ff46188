/**
 * OpenTelemetry set-up: when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, an SDK tracer provider
 * (`@opentelemetry/sdk-trace-base`) exports spans over OTLP/HTTP (JSON, to
 * `ENDPOINT/v1/traces`, as the OTLP exporter specification puts it) through a
 * `BatchSpanProcessor`, and is registered as the global provider of `@opentelemetry/api` when no
 * other is; with it unset, nothing is set up (spans go to the API's global provider: a no-op
 * unless the embedding application registered one). Other standard `OTEL_EXPORTER_OTLP_*`
 * variables (headers, timeout, compression) are read by the OTLP exporter itself.
 */
import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { withTimeout, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';

/** Instrumentation scope of voicebridge's spans. */
export const TRACER_NAME = 'voicebridge';

/** Settings of `startTracing`. */
export interface TracingSettings {
  /** OTLP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. `http://collector:4318`); unset: no export. */
  endpoint?: string;
  /** `service.name` of the spans (`OTEL_SERVICE_NAME`). */
  serviceName: string;
  /** `service.version`, if known. */
  serviceVersion?: string;
  /** Longest wait at shutdown for the last spans to be sent (a collector that is down must not hold up the exit), ms (default 3000). */
  shutdownTimeoutMs?: number;
}

/** Tracing of a server: its tracer, and how to flush and stop the export at close. */
export interface Tracing {
  tracer: Tracer;
  /** Flushes spans still batched (waiting up to `shutdownTimeoutMs`) and stops the export (and unregisters the global provider it set). Never rejects. */
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP traces URL for base `endpoint` (OTLP exporter spec: the base URL plus `/v1/traces`). */
export function otlpTracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Sets up export when `settings.endpoint` is set.
 * @param clock times the shutdown wait.
 * @returns the tracing to use, or undefined when no endpoint is set (nothing was set up).
 */
export function startTracing(settings: TracingSettings, logger: Logger, clock: Clock): Tracing | undefined {
  if (!settings.endpoint) return undefined;
  const url = otlpTracesUrl(settings.endpoint);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, ...(settings.serviceVersion ? { [ATTR_SERVICE_VERSION]: settings.serviceVersion } : {}) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  const global = trace.setGlobalTracerProvider(provider);
  logger.info({ url, global }, 'OpenTelemetry traces are exported over OTLP/HTTP');
  return {
    tracer: provider.getTracer(TRACER_NAME, settings.serviceVersion),
    async shutdown() {
      const timeoutMs = settings.shutdownTimeoutMs ?? 3000;
      const flushed = await withTimeout(clock, provider.shutdown().then(() => true, (err: unknown) => err), timeoutMs, false);
      if (flushed !== true) logger.warn({ url, err: flushed === false ? `no answer within ${timeoutMs} ms` : String(flushed) }, 'OpenTelemetry spans were not all sent at shutdown');
      if (global) trace.disable();
    },
  };
}

/** The tracer of a server: `injected`'s (tests), else the started tracing's, else the API's global one. */
export function tracerOf(injected: TracerProvider | undefined, tracing: Tracing | undefined): Tracer {
  return injected?.getTracer(TRACER_NAME) ?? tracing?.tracer ?? trace.getTracer(TRACER_NAME);
}
