/**
 * deploy/: every Kubernetes object in deploy/k8s validates against the Kubernetes API schemas
 * (kubernetes-models: types, required fields, formats; it does not reject unknown field names),
 * and the facts that tie the files together hold: the Service selects the Deployment's pods,
 * probes and ports match the server, the kill grace covers the preStop and the drain, the settings
 * are ones the server accepts, the HPA's metric is one /metrics serves, the image runs as the
 * non-root user the pod expects. compose.yaml and the Caddyfile are checked for the intended
 * topology (two instances, PostgreSQL, Redis, a TLS proxy balancing both).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadConfig, SETTINGS } from '../src/config/config.js';
import { ServerMetrics } from '../src/observability/metrics.js';
import { parseDockerfile } from './helpers/dockerfile.js';

const DEPLOY = fileURLToPath(new URL('../deploy/', import.meta.url));
const K8S = path.join(DEPLOY, 'k8s');

/** Settings the manifests carry before the server reads them (none now: `REDIS_URL` is read since issue 14 §1). */
const PENDING_SETTINGS = new Set<string>();

/** A parsed Kubernetes object and the file it came from. */
interface K8sObject {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** The model class that validates each kind this folder may hold (apiVersion/kind). */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
};

/** Every document of every YAML file in `dir`; a YAML syntax error throws with the file named. */
function loadObjects(dir: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const value = doc.toJS() as K8sObject | null;
      if (value) objects.push({ ...value, file });
    }
  }
  return objects;
}

/** Validates `obj` with its kind's model; returns the schema's complaint, or null when valid. */
function schemaProblem(obj: K8sObject): string | null {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) return `${obj.file}: no schema for ${obj.apiVersion} ${obj.kind}`;
  const { file: _file, ...data } = obj;
  try {
    new Model(data as never).validate();
    return null;
  } catch (err) {
    return `${obj.file} (${obj.kind} ${obj.metadata?.name}): ${err instanceof Error ? err.message : String(err)}`;
  }
}

const objects = loadObjects(K8S);
const one = <T>(kind: string): T & K8sObject => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found.map((o) => o.file), `one ${kind} in deploy/k8s`).toHaveLength(1);
  return found[0] as T & K8sObject;
};
const deployment = () => one<Deployment>('Deployment');
const container = () => deployment().spec!.template.spec!.containers[0];
const configMap = () => one<ConfigMap>('ConfigMap');
const settingsOf = (cm: { data?: Record<string, string> }) => cm.data ?? {};
const dockerfile = () => parseDockerfile(fs.readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8'));

describe('deploy/k8s manifests', () => {
  it('parse and validate against the Kubernetes schemas, every object', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'PodDisruptionBudget', 'Secret', 'Service']);
    expect(objects.map(schemaProblem).filter(Boolean)).toEqual([]);
  });

  it('the validation refuses a broken object (a schema check that can fail)', () => {
    const broken = structuredClone(deployment()) as K8sObject & { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    expect(schemaProblem(broken)).toMatch(/replicas must be integer/);
    const nameless = structuredClone(deployment()) as K8sObject & { spec: { template: { spec: { containers: { name?: string }[] } } } };
    delete nameless.spec.template.spec.containers[0].name;
    expect(schemaProblem(nameless)).toMatch(/required property name/);
  });

  it('the Service, PodDisruptionBudget and HPA select the Deployment and its pods', () => {
    const d = deployment();
    const podLabels = d.spec!.template.metadata!.labels!;
    const selects = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
    expect(selects(d.spec!.selector.matchLabels!)).toBe(true);
    const service = one<Service>('Service');
    expect(selects(service.spec!.selector!)).toBe(true);
    expect(Object.keys(service.spec!.selector!).length).toBeGreaterThan(0);
    // The Service's target port names a port the container declares.
    const portNames = container().ports!.map((p) => p.name);
    for (const p of service.spec!.ports!) expect(portNames).toContain(p.targetPort);
    const pdb = one<PodDisruptionBudget>('PodDisruptionBudget');
    expect(selects(pdb.spec!.selector!.matchLabels!)).toBe(true);
    const hpa = one<HorizontalPodAutoscaler>('HorizontalPodAutoscaler');
    expect(hpa.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name });
    const ingress = one<Ingress>('Ingress');
    for (const rule of ingress.spec!.rules!) for (const p of rule.http!.paths) expect(p.backend.service!.name).toBe(service.metadata.name);
  });

  it('probes /ready and /health on the port the server listens on (PORT)', () => {
    const c = container();
    const port = Number(settingsOf(configMap()).PORT);
    const http = c.ports!.find((p) => p.name === 'http')!;
    expect(http.containerPort).toBe(port);
    expect(c.readinessProbe!.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(c.livenessProbe!.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(c.envFrom!.map((e) => e.configMapRef?.name ?? e.secretRef?.name).sort()).toEqual([configMap().metadata.name, one<Secret>('Secret').metadata.name].sort());
  });

  it('gives the pod time for the preStop sleep, the drain (DRAIN_TIMEOUT_MS) and closing before SIGKILL', () => {
    const drainS = Number(settingsOf(configMap()).DRAIN_TIMEOUT_MS) / 1000;
    expect(drainS).toBeGreaterThan(0);
    const command = container().lifecycle!.preStop!.exec!.command!;
    expect(command[0]).toBe('sleep');
    const preStopS = Number(command[1]);
    expect(preStopS).toBeGreaterThan(0);
    // Closing after the drain (records flushed, spans exported) takes a few seconds more.
    expect(deployment().spec!.template.spec!.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStopS + drainS + 5);
  });

  it('runs as the image\'s non-root user, without privileges, with only /data and /tmp writable', () => {
    const pod = deployment().spec!.template.spec!;
    const user = dockerfile().runtime.user;
    expect(user).toMatch(/^\d+:\d+$/);
    const [uid, gid] = user!.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid });
    const sc = container().securityContext!;
    expect(sc).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container().volumeMounts!.map((m) => m.mountPath).sort()).toEqual(['/data', '/tmp']);
    expect(dockerfile().runtime.env.DATA_DIR).toBe('/data');
  });

  it('configures only settings the server knows, with values it accepts', () => {
    const cm = settingsOf(configMap());
    const secret = one<Secret>('Secret').stringData ?? {};
    for (const key of [...Object.keys(cm), ...Object.keys(secret)]) {
      expect(key in SETTINGS || PENDING_SETTINGS.has(key), `${key} is a setting`).toBe(true);
    }
    expect(() => loadConfig({ ...cm, ...secret })).not.toThrow();
  });

  it('scales on a metric /metrics serves, below MAX_CALLS per pod', async () => {
    const hpa = one<HorizontalPodAutoscaler>('HorizontalPodAutoscaler');
    const metric = hpa.spec!.metrics!.find((m) => m.type === 'Pods')!;
    const name = metric.pods!.metric.name;
    const { text } = await new ServerMetrics({ liveCalls: () => [] }).exposition();
    expect(text).toContain(`# TYPE ${name} gauge`);
    expect(Number(metric.pods!.target.averageValue)).toBeLessThan(Number(settingsOf(configMap()).MAX_CALLS));
    expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
    // prometheus-adapter serves that metric under the same name (deploy/monitoring).
    const adapter = parseYaml(fs.readFileSync(path.join(DEPLOY, 'monitoring/prometheus-adapter-values.yaml'), 'utf8')) as { rules: { custom: { seriesQuery: string; name: { as: string } }[] } };
    expect(adapter.rules.custom.map((r) => r.name.as)).toContain(name);
    expect(adapter.rules.custom.find((r) => r.name.as === name)!.seriesQuery).toContain(name);
  });
});

describe('deploy/Dockerfile', () => {
  it('builds with deploy/image-steps.sh, runs non-root with a /health check, drains on SIGTERM', () => {
    const df = dockerfile();
    expect(df.build.runs.join('\n')).toMatch(/image-steps\.sh install/);
    expect(df.build.runs.join('\n')).toMatch(/image-steps\.sh build && deploy\/image-steps\.sh stage \/app/);
    expect(df.build.args.LOCAL_MODEL).toBe('true');
    expect(df.runtime.healthcheck!.join(' ')).toContain('/health');
    expect(df.runtime.stopSignal).toBe('SIGTERM');
    expect(df.runtime.expose).toEqual([df.runtime.env.PORT]);
    expect(df.runtime.volumes).toEqual([df.runtime.env.DATA_DIR]);
    expect(df.runtime.cmd).toEqual(['node', 'dist/cli/index.js', 'serve']);
    expect(df.runtime.user).not.toMatch(/^0(:|$)|^root/);
  });
});

describe('deploy/compose.yaml', () => {
  type ComposeService = {
    image?: string;
    build?: { context: string; dockerfile: string };
    environment?: Record<string, string>;
    healthcheck?: { test: string[] };
    ports?: string[];
    volumes?: string[];
    stop_grace_period?: string;
  };
  const compose = () => parseYaml(fs.readFileSync(path.join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };

  it('runs two voicebridge instances, PostgreSQL 15, Redis 7 and a proxy, each with a health check', () => {
    const { services } = compose();
    expect(Object.keys(services).sort()).toEqual(['postgres', 'proxy', 'redis', 'voicebridge-1', 'voicebridge-2']);
    expect(services.postgres.image).toMatch(/^postgres:15/);
    expect(services.redis.image).toMatch(/^redis:7/);
    for (const [name, s] of Object.entries(services)) expect(s.healthcheck?.test[0], `${name} health check`).toBe('CMD');
    expect(services['voicebridge-1'].healthcheck!.test.join(' ')).toContain('/health');
  });

  it('builds the instances from deploy/Dockerfile and shares PostgreSQL, Redis and the stream-token key', () => {
    const { services } = compose();
    const a = services['voicebridge-1'];
    const b = services['voicebridge-2'];
    for (const s of [a, b]) {
      expect(path.resolve(DEPLOY, s.build!.context, s.build!.dockerfile)).toBe(path.join(DEPLOY, 'Dockerfile'));
      expect(s.environment!.DATABASE_URL).toMatch(/^postgres:\/\/voicebridge:.*@postgres:5432\/voicebridge$/);
      expect(s.environment!.REDIS_URL).toBe('redis://redis:6379');
      for (const key of Object.keys(s.environment!)) expect(key in SETTINGS || PENDING_SETTINGS.has(key), `${key} is a setting`).toBe(true);
      // Docker's kill grace outlasts the drain.
      expect(Number.parseInt(s.stop_grace_period!, 10) * 1000).toBeGreaterThan(Number(s.environment!.DRAIN_TIMEOUT_MS));
    }
    expect(a.environment!.STREAM_TOKEN_SECRET).toBe(b.environment!.STREAM_TOKEN_SECRET);
    // Each instance its own WebRTC UDP range, published 1:1.
    for (const s of [a, b]) expect(s.ports).toEqual([`${s.environment!.WEBRTC_PORT_RANGE}:${s.environment!.WEBRTC_PORT_RANGE}/udp`]);
    expect(a.environment!.WEBRTC_PORT_RANGE).not.toBe(b.environment!.WEBRTC_PORT_RANGE);
  });

  it('puts both instances behind the proxy, which checks /ready and keeps WebSocket calls across reloads', () => {
    const { services } = compose();
    const mount = services.proxy.volumes!.find((v) => v.endsWith(':/etc/caddy/Caddyfile:ro'))!;
    const caddyfile = fs.readFileSync(path.resolve(DEPLOY, mount.split(':')[0]), 'utf8');
    const port = (name: string) => dockerfile().runtime.env.PORT ?? services[name].environment!.PORT;
    expect(caddyfile).toMatch(new RegExp(`reverse_proxy voicebridge-1:${port('voicebridge-1')} voicebridge-2:${port('voicebridge-2')} \\{`));
    expect(caddyfile).toMatch(/^\s*health_uri \/ready$/m);
    expect(caddyfile).toMatch(/^\s*lb_policy cookie /m);
    expect(caddyfile).toMatch(/^\s*stream_close_delay /m);
    expect(services.proxy.ports).toEqual(expect.arrayContaining(['80:80', '443:443']));
  });
});
