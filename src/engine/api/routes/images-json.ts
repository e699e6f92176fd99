/**
 * JSON shapes of images on the Docker Engine API: the `/images/json` summary and the
 * `/images/{name}/json` inspect document (moby api/types/image, API ≤1.44), which the docker
 * CLI and docker-py read field by field.
 */
import type { ImageService } from '../../images/service.js';
import type { ImageRecord, ImageRuntimeConfig } from '../../images/types.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** A container-config shaped object as Docker prints it for images (absent fields as null/""). */
export function containerConfig(c: ImageRuntimeConfig | undefined): Record<string, unknown> {
  const cfg = c ?? {};
  return {
    Hostname: '',
    Domainname: '',
    User: cfg.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(cfg.ExposedPorts ? { ExposedPorts: cfg.ExposedPorts } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: cfg.Env ?? null,
    Cmd: cfg.Cmd ?? null,
    ...(cfg.Healthcheck ? { Healthcheck: cfg.Healthcheck } : {}),
    ...(cfg.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: '',
    Volumes: cfg.Volumes ?? null,
    WorkingDir: cfg.WorkingDir ?? '',
    Entrypoint: cfg.Entrypoint ?? null,
    OnBuild: cfg.OnBuild ?? null,
    Labels: cfg.Labels ?? null,
    ...(cfg.StopSignal ? { StopSignal: cfg.StopSignal } : {}),
    ...(cfg.Shell ? { Shell: cfg.Shell } : {}),
  };
}

/** One entry of `GET /images/json`. */
export function imageSummary(img: ImageRecord, version: number): Record<string, unknown> {
  return {
    Containers: -1,
    Created: Math.floor(Date.parse(img.created) / 1000),
    Id: img.id,
    Labels: img.config.config?.Labels ?? null,
    ParentId: img.parent ?? '',
    RepoDigests: img.repoDigests,
    RepoTags: img.repoTags,
    SharedSize: -1,
    Size: img.size,
    ...(version < 1.44 ? { VirtualSize: img.size } : {}),
  };
}

/** `GET /images/{name}/json`. */
export function imageInspect(images: ImageService, img: ImageRecord, version: number): Record<string, unknown> {
  const cfg = img.config;
  const lowers = images.snapshots.lowerDirs(img.chainIds); // top-most first
  const data: Record<string, string> = {};
  if (img.chainIds.length > 0) {
    data.UpperDir = lowers[0]!;
    if (lowers.length > 1) data.LowerDir = lowers.slice(1).join(':');
  }
  return {
    Id: img.id,
    RepoTags: img.repoTags,
    RepoDigests: img.repoDigests,
    Parent: img.parent ?? '',
    Comment: cfg.comment ?? '',
    Created: cfg.created ?? img.created,
    Container: '',
    ContainerConfig: containerConfig(undefined),
    DockerVersion: cfg.docker_version ?? '',
    Author: cfg.author ?? '',
    Config: containerConfig(cfg.config),
    Architecture: cfg.architecture ?? '',
    ...(cfg.variant ? { Variant: cfg.variant } : {}),
    Os: cfg.os ?? '',
    Size: img.size,
    ...(version < 1.44 ? { VirtualSize: img.size } : {}),
    GraphDriver: { Name: 'overlay2', Data: data },
    RootFS: { Type: cfg.rootfs.type || 'layers', Layers: cfg.rootfs.diff_ids },
    Metadata: { LastTagTime: images.lastTagTime(img.id) ?? ZERO_TIME },
  };
}
