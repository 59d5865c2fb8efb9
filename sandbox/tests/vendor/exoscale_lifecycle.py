"""A whole instance pool lifecycle against the sandbox with Exoscale's own Python client
(PyPI exoscale 0.16.4), unchanged: its signing, its operation waiting, its error mapping.

Usage: exoscale_lifecycle.py ENDPOINT KEY SECRET OPERATION_MS
  ENDPOINT is the zone URL, e.g. http://127.0.0.1:PORT/ch-gva-2/v2
  OPERATION_MS is how long the sandbox keeps an operation pending
Exits non-zero on the first failed step.

The client's wait polls at once and then every 3 s while the operation is pending. The
create's wait takes that path (pending, 3 s, success); every later wait is called once its
operation has had time to finish, so its first poll already finds success and the test does
not spend 3 s per operation (it used to take 22 s, most of it in those sleeps).
"""

import base64
import sys
import time

from exoscale.api.v2 import Client
from exoscale.api.exceptions import (
    ExoscaleAPIAuthException,
    ExoscaleAPIClientException,
    ExoscaleAPIServerException,
)

UBUNTU = "22222222-0000-4000-8000-000000000001"
DEBIAN = "22222222-0000-4000-8000-000000000002"
DEFAULT_SG = "33333333-0000-4000-8000-000000000001"
PRIVNET = "44444444-0000-4000-8000-000000000001"
MANAGED_POOL = "88888888-0000-4000-8000-000000000001"


def step(name):
    print(f"-- {name}", flush=True)


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)


def expect_error(exc_type, status, call):
    try:
        call()
    except exc_type as e:
        check(e.response is not None and e.response.status_code == status,
              f"expected HTTP {status}, got {e.response.status_code if e.response is not None else None}")
        return e.response.json()
    check(False, f"expected {exc_type.__name__} ({status})")


def main():
    endpoint, key, secret, operation_ms = sys.argv[1:5]
    c = Client(key, secret, url=endpoint)

    def wait_finished(op_id):
        """The client's own wait, on an operation that has had time to finish."""
        time.sleep(int(operation_ms) / 1000 + 0.1)
        return c.wait(op_id)

    step("wrong secret is refused")
    bad = Client(key, secret + "x", url=endpoint)
    body = expect_error(ExoscaleAPIAuthException, 403, bad.list_instance_pools)
    check("message" in body, f"error body has a message: {body}")

    step("catalogue: zones, instance types, templates")
    zones = [z["name"] for z in c.list_zones()["zones"]]
    check("ch-gva-2" in zones and "de-fra-1" in zones, f"zones {zones}")
    types = {f"{t['family']}.{t['size']}": t["id"] for t in c.list_instance_types()["instance-types"]}
    for name in ["standard.micro", "standard.small", "standard.medium", "standard.large"]:
        check(name in types, f"instance type {name} listed")
    small = types["standard.small"]
    check(c.get_instance_type(id=small)["size"] == "small", "get-instance-type")
    check(c.get_template(id=UBUNTU)["id"] == UBUNTU, "get-template")
    check(c.get_ssh_key(name="sandbox")["name"] == "sandbox", "get-ssh-key")

    step("create")
    user_data = base64.b64encode(b"#cloud-config\n").decode()
    op = c.create_instance_pool(
        name="lifecycle",
        size=2,
        disk_size=20,
        instance_type={"id": small},
        template={"id": UBUNTU},
        security_groups=[{"id": DEFAULT_SG}],
        private_networks=[{"id": PRIVNET}],
        description="made by the vendor client",
        labels={"env": "test"},
        user_data=user_data,
        instance_prefix="web",
    )
    check(op["state"] == "pending", f"create answers a pending operation: {op}")
    pool_id = op["reference"]["id"]
    check(op["reference"]["command"] == "get-instance-pool", "reference command")
    pool = c.get_instance_pool(id=pool_id)
    check(pool["state"] == "creating", f"state while creating: {pool['state']}")

    step("wait (the client's own operation waiting, through pending)")
    done = c.wait(op["id"])
    check(done["state"] == "success", f"operation done: {done}")

    step("get")
    pool = c.get_instance_pool(id=pool_id)
    check(pool["state"] == "running", f"running after create: {pool['state']}")
    check(pool["size"] == 2 and len(pool["instances"]) == 2, "two instances")
    check(pool["name"] == "lifecycle" and pool["disk-size"] == 20, "name and disk size")
    check(pool["instance-type"]["id"] == small and pool["template"]["id"] == UBUNTU, "type, template")
    check(pool["labels"] == {"env": "test"}, "labels")
    check(pool["user-data"] == user_data and pool["instance-prefix"] == "web", "user-data, prefix")

    step("members: list-instances filtered by manager")
    members = c.list_instances(manager_id=pool_id, manager_type="instance-pool")["instances"]
    check(sorted(m["id"] for m in members) == sorted(i["id"] for i in pool["instances"]),
          f"the pool's members: {members}")
    for m in members:
        check(m["name"].startswith("web-") and m["state"] == "running", f"member {m}")
        check(m["manager"] == {"id": pool_id, "type": "instance-pool"}, f"manager {m}")
        check(m["instance-type"]["id"] == small and m["template"]["id"] == UBUNTU, f"member {m}")
        check("public-ip" in m and "created-at" in m, f"member {m}")

    step("scale")
    op = c.scale_instance_pool(id=pool_id, size=4)
    check(c.get_instance_pool(id=pool_id)["state"] == "scaling-up", "scaling-up meanwhile")
    wait_finished(op["id"])
    pool = c.get_instance_pool(id=pool_id)
    check(pool["size"] == 4 and len(pool["instances"]) == 4 and pool["state"] == "running", "scaled to 4")

    step("update")
    op = c.update_instance_pool(id=pool_id, template={"id": DEBIAN}, description="updated",
                                labels={"env": "prod"}, disk_size=30)
    check(c.get_instance_pool(id=pool_id)["state"] == "updating", "updating meanwhile")
    wait_finished(op["id"])
    pool = c.get_instance_pool(id=pool_id)
    check(pool["template"]["id"] == DEBIAN and pool["description"] == "updated", "updated fields")
    check(pool["disk-size"] == 30 and pool["labels"] == {"env": "prod"}, "updated disk size, labels")

    step("update with an invalid value is refused")
    body = expect_error(ExoscaleAPIClientException, 400,
                        lambda: c.update_instance_pool(id=pool_id, disk_size=5))
    check("disk-size" in body["message"], f"message names the field: {body}")

    step("reset field")
    wait_finished(c.reset_instance_pool_field(id=pool_id, field="description")["id"])
    wait_finished(c.reset_instance_pool_field(id=pool_id, field="labels")["id"])
    pool = c.get_instance_pool(id=pool_id)
    check("description" not in pool and "labels" not in pool, f"fields reset: {pool}")

    step("list")
    pools = c.list_instance_pools()["instance-pools"]
    ids = [p["id"] for p in pools]
    check(pool_id in ids and MANAGED_POOL in ids, f"list has ours and the managed pool: {ids}")

    step("evict")
    victim = pool["instances"][0]["id"]
    wait_finished(c.evict_instance_pool_members(id=pool_id, instances=[victim])["id"])
    pool = c.get_instance_pool(id=pool_id)
    check(pool["size"] == 3 and victim not in [i["id"] for i in pool["instances"]], "evicted one")

    step("the managed pool refuses changes")
    expect_error(ExoscaleAPIAuthException, 403,
                 lambda: c.scale_instance_pool(id=MANAGED_POOL, size=5))

    step("delete")
    op = c.delete_instance_pool(id=pool_id)
    check(c.get_instance_pool(id=pool_id)["state"] == "destroying", "destroying meanwhile")
    expect_error(ExoscaleAPIClientException, 409, lambda: c.delete_instance_pool(id=pool_id))
    wait_finished(op["id"])
    expect_error(ExoscaleAPIClientException, 404, lambda: c.get_instance_pool(id=pool_id))

    print("OK: vendor client lifecycle passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except (ExoscaleAPIServerException, ExoscaleAPIClientException) as e:
        print(f"FAILED: unexpected API error: {e}", flush=True)
        sys.exit(1)
