/**
 * Resource requests in each container backend's dialect, from one `Resources` value.
 * GPUs are NVIDIA's: Docker's device request for the nvidia runtime, Kubernetes' device-plugin
 * extended resource (`nvidia.com/gpu` by default).
 */
import type { Resources } from "./backend.js";

export interface GpuRequest {
  vendor: "nvidia";
  count: number;
}

/** The GPUs a run asks for, or null for none. */
export function gpuRequest(resources: Resources): GpuRequest | null {
  return resources.gpus > 0 ? { vendor: "nvidia", count: resources.gpus } : null;
}

export interface DockerDeviceRequest {
  Driver: string;
  Count: number;
  Capabilities: string[][];
}

/** `HostConfig.DeviceRequests` (the API form of `docker run --gpus n`). */
export function dockerDeviceRequests(resources: Resources): DockerDeviceRequest[] {
  const gpu = gpuRequest(resources);
  return gpu ? [{ Driver: gpu.vendor, Count: gpu.count, Capabilities: [["gpu"]] }] : [];
}

const GiB = 1024 ** 3;

/** The HostConfig fields that cap a container: CPUs in billionths, memory in bytes, GPUs. */
export function dockerHostResources(resources: Resources): { NanoCpus: number; Memory: number; DeviceRequests: DockerDeviceRequest[] } {
  return {
    NanoCpus: Math.round(resources.cpus * 1e9),
    Memory: Math.round(resources.memoryGiB * GiB),
    DeviceRequests: dockerDeviceRequests(resources),
  };
}

/** Extended-resource entries for a container's requests and limits (they must be equal). */
export function kubernetesGpuResources(resources: Resources, resourceName = "nvidia.com/gpu"): Record<string, string> {
  const gpu = gpuRequest(resources);
  return gpu ? { [resourceName]: String(gpu.count) } : {};
}

/** Kubernetes quantities: CPU in cores or millicores, memory in whole MiB. */
export function cpuQuantity(cpus: number): string {
  return Number.isInteger(cpus) ? String(cpus) : `${Math.round(cpus * 1000)}m`;
}
export function memoryQuantity(gib: number): string {
  return `${Math.round(gib * 1024)}Mi`;
}

/**
 * A container's `resources`. No CPU limit on purpose: CFS throttling stalls data loaders and NCCL
 * while the node has idle cores; the memory limit is what makes an OOM kill attributable.
 */
export function kubernetesResources(
  resources: Resources,
  gpuResourceName = "nvidia.com/gpu",
): { requests: Record<string, string>; limits: Record<string, string> } {
  const gpu = kubernetesGpuResources(resources, gpuResourceName);
  const memory = memoryQuantity(resources.memoryGiB);
  return {
    requests: { cpu: cpuQuantity(resources.cpus), memory, ...gpu },
    limits: { memory, ...gpu },
  };
}
