/** The operator's Slurm allow-lists at submit: a name outside them is a 403 naming the field, and nothing is stored. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { ApiErrorBody, loadConfig } from "@trainyard/contracts";
import { auth, startApiHarness, type ApiHarness } from "../../../tests/helpers/api.js";

let h: ApiHarness;
beforeAll(async () => {
  const c = loadConfig({ SLURM_PARTITIONS: "debug*,batch", SLURM_ACCOUNTS: "lab", SLURM_QOS: "normal,high" });
  h = await startApiHarness({ compute: c });
});
afterAll(async () => {
  await h?.close();
});

const post = (compute: Record<string, unknown>) =>
  h.app.inject({
    method: "POST",
    url: "/v1/experiments",
    headers: auth(h.key),
    payload: { preset: "demo-cpu", compute: { backend: "slurm", ...compute } },
  });

it("stores a Slurm spec with the operator's default partition filled in", async () => {
  const res = await post({});
  expect(res.statusCode, res.body).toBe(201);
  expect(res.json().spec.compute).toMatchObject({ backend: "slurm", partition: "debug" });
  const chosen = await post({ partition: "batch", account: "lab", qos: "high" });
  expect(chosen.statusCode, chosen.body).toBe(201);
  expect(chosen.json().spec.compute).toMatchObject({ partition: "batch", account: "lab", qos: "high" });
});

it("refuses a partition, account or QoS outside the allow-list with 403 TY_ERR_COMPUTE_NOT_ALLOWED", async () => {
  const before = await h.db.experiment.count();
  for (const [field, value] of [
    ["partition", "gpu-h100"],
    ["account", "other-lab"],
    ["qos", "urgent"],
    ["image", "attacker/anything:latest"],
  ] as const) {
    const res = await post({ [field]: value });
    expect(res.statusCode, field).toBe(403);
    const body = ApiErrorBody.parse(res.json());
    expect(body.code).toBe("TY_ERR_COMPUTE_NOT_ALLOWED");
    expect(body.issues?.map((i) => i.path)).toEqual([["compute", field]]);
  }
  // Malformed names are a validation error before any policy is asked.
  const bad = await post({ partition: "debug --uid=0" });
  expect(bad.statusCode).toBe(400);
  expect(bad.json().code).toBe("TY_ERR_VALIDATION");
  expect(await h.db.experiment.count()).toBe(before);
});
