/** The Compose model after loading: every short syntax expanded to its long form. */

export interface BuildSpec {
  context: string;
  dockerfile?: string;
  args: Record<string, string>;
  target?: string;
}

export interface VolumeMount {
  type: 'volume' | 'bind' | 'tmpfs';
  /** A named volume (top-level `volumes` key) or a host path (made absolute); none for tmpfs and anonymous volumes. */
  source?: string;
  target: string;
  read_only: boolean;
}

export interface Dependency {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  required: boolean;
}

export interface Healthcheck {
  test?: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  disable?: boolean;
}

export interface Service {
  name: string;
  image?: string;
  build?: BuildSpec;
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  /** `-p` notation, one binding each (`127.0.0.1:8080:80/tcp`). */
  ports: string[];
  expose: string[];
  volumes: VolumeMount[];
  networks: Record<string, { aliases: string[] }>;
  depends_on: Record<string, Dependency>;
  healthcheck?: Healthcheck;
  restart?: string;
  labels: Record<string, string>;
  working_dir?: string;
  user?: string;
  hostname?: string;
  replicas: number;
  profiles: string[];
}

export interface NetworkSpec {
  /** The engine's name for it: `<project>_<key>`, or `name:`, or the external name. */
  name: string;
  external: boolean;
  driver?: string;
  internal: boolean;
  labels: Record<string, string>;
}

export interface VolumeSpec {
  name: string;
  external: boolean;
  driver?: string;
  driver_opts: Record<string, string>;
  labels: Record<string, string>;
}

export interface Project {
  name: string;
  workingDir: string;
  configFiles: string[];
  services: Record<string, Service>;
  networks: Record<string, NetworkSpec>;
  volumes: Record<string, VolumeSpec>;
}
