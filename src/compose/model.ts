/**
 * The Compose application model after loading: one file's short forms (`"8080:80"`,
 * `"data:/var/lib"`, environment lists) are turned into these long forms, so merging,
 * hashing, planning and `config` all see one shape.
 */

/** A published or exposed port (the long syntax of `ports:`). */
export interface PortConfig {
  target: number;
  published?: string;
  host_ip?: string;
  protocol: string;
}

/** A mount (the long syntax of `volumes:`). */
export interface ServiceVolume {
  type: 'volume' | 'bind' | 'tmpfs';
  source?: string;
  target: string;
  read_only?: boolean;
  tmpfs?: { size?: number };
  /** Short-syntax binds create a missing host directory, as Compose's do. */
  bind?: { create_host_path?: boolean };
}

export type DependsCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface Healthcheck {
  test?: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  disable?: boolean;
}

export interface BuildConfig {
  context: string;
  dockerfile?: string;
  args?: Record<string, string | null>;
  target?: string;
}

/** One service, every optional list present (possibly empty) after normalisation. */
export interface ServiceConfig {
  image?: string;
  build?: BuildConfig;
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  env_file?: string[];
  ports?: PortConfig[];
  expose?: string[];
  volumes?: ServiceVolume[];
  networks?: Record<string, { aliases?: string[] } | null>;
  depends_on?: Record<string, { condition: DependsCondition; required?: boolean }>;
  healthcheck?: Healthcheck;
  restart?: string;
  labels?: Record<string, string>;
  working_dir?: string;
  user?: string;
  hostname?: string;
  container_name?: string;
  deploy?: { replicas?: number };
  profiles?: string[];
  stop_grace_period?: string;
  stop_signal?: string;
  tty?: boolean;
  stdin_open?: boolean;
  init?: boolean;
  privileged?: boolean;
  read_only?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  dns?: string[];
  /** `host:ip` entries. */
  extra_hosts?: string[];
  /** `host`, `none`, `service:<name>` or `container:<name>`, instead of `networks`. */
  network_mode?: string;
}

export interface NetworkConfig {
  name?: string;
  external?: boolean;
  driver?: string;
  labels?: Record<string, string>;
  internal?: boolean;
}

export interface VolumeConfig {
  name?: string;
  external?: boolean;
  driver?: string;
  labels?: Record<string, string>;
}

/** One file (or the merge of several) after normalisation. */
export interface ComposeModel {
  name?: string;
  services: Record<string, ServiceConfig>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
}

/** A loaded project: the model plus where it came from. */
export interface Project {
  name: string;
  workingDir: string;
  configFiles: string[];
  model: ComposeModel;
  /** Profiles enabled with --profile / COMPOSE_PROFILES. */
  profiles: string[];
  /** The variables the file was interpolated with (the shell's over `.env`'s). */
  environment: NodeJS.ProcessEnv;
}

/**
 * A model error with the path of the offending field (`services.web.ports[0]`). Shape errors
 * read as Compose's schema validation words them (`services.web.ports must be a array`,
 * `services.web additional properties 'colour' not allowed`); value errors as
 * `services.web.ports[0]: invalid port "x"`. `at` is where the line number is looked up,
 * when that differs from `path` (an unknown key, reported on its parent).
 */
export class ModelError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
    readonly at: string = path,
  ) {
    super(ModelError.text(path, detail));
  }

  static text(path: string, detail: string): string {
    return /^(must be|additional properties|is not supported)/.test(detail) ? `${path} ${detail}` : `${path}: ${detail}`;
  }
}
