"""A whole warm pool lifecycle against the sandbox, through Ona's own generated Connect
client (PyPI gitpod-sdk, `gitpod.v1.prebuild_connect.PrebuildServiceClientSync`) with the
JSON codec, unchanged. Usage: ona_lifecycle.py BASE_URL TOKEN SETTLE_MS

Every step is asserted; the first failure exits non-zero with a message."""

import sys
import time

import connectrpc.compat
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from gitpod.v1 import pagination_pb2, prebuild_pb2
from gitpod.v1.prebuild_connect import PrebuildServiceClientSync

# The sandbox's fixtures (sandbox/README.md).
PROJECT = "0c000000-0000-4000-8000-000000000001"
PROJECT_NO_PREBUILDS = "0c000000-0000-4000-8000-000000000002"
CLASS_SMALL = "0d000000-0000-4000-8000-000000000001"
CLASS_LARGE = "0d000000-0000-4000-8000-000000000002"
CLASS_GPU = "0d000000-0000-4000-8000-000000000003"
SNAPSHOT = "0e000000-0000-4000-8000-000000000001"
ORGANIZATION = "0a000000-0000-4000-8000-000000000001"
RUNNER = "0b000000-0000-4000-8000-000000000001"

P = prebuild_pb2


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print(f"ok: {what}")


def expect_error(code, what, call):
    try:
        call()
    except ConnectError as e:
        check(e.code == code, f"{what}: {code.value} (got {e.code.value}: {e.message})")
        return e
    raise AssertionError(f"{what}: expected {code.value}, the call succeeded")


def wait_for(client, auth, pool_id, phase, deadline_s):
    end = time.monotonic() + deadline_s
    while True:
        pool = client.get_warm_pool(P.GetWarmPoolRequest(warm_pool_id=pool_id), headers=auth).warm_pool
        if pool.status.phase == phase:
            return pool
        if time.monotonic() > end:
            raise AssertionError(f"{pool_id} still {P.WarmPoolPhase.Name(pool.status.phase)}")
        time.sleep(0.05)


def wait_gone(client, auth, pool_id, deadline_s):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            client.get_warm_pool(P.GetWarmPoolRequest(warm_pool_id=pool_id), headers=auth)
        except ConnectError as e:
            check(e.code == Code.NOT_FOUND, f"{pool_id} gone: not_found")
            return
        time.sleep(0.05)
    raise AssertionError(f"{pool_id} never went away")


def main():
    base_url, token, settle_ms = sys.argv[1], sys.argv[2], int(sys.argv[3])
    deadline = settle_ms / 1000 * 10 + 2
    auth = {"Authorization": f"Bearer {token}"}
    client = PrebuildServiceClientSync(base_url, codec=connectrpc.compat.google_protobuf_json_codec())

    # Create: PENDING, metadata filled in, versions start.
    created = client.create_warm_pool(
        P.CreateWarmPoolRequest(project_id=PROJECT, environment_class_id=CLASS_SMALL, min_size=2, max_size=4),
        headers=auth,
    ).warm_pool
    check(len(created.id) == 36, f"created pool {created.id}")
    check(created.status.phase == P.WARM_POOL_PHASE_PENDING, "new pool is PENDING")
    check(created.spec.desired_phase == P.WARM_POOL_PHASE_READY, "desired phase READY")
    check((created.spec.min_size, created.spec.max_size) == (2, 4), "sizes as asked")
    check(created.spec.HasField("min_size") and created.spec.HasField("max_size"), "sizes present")
    check(created.spec.snapshot_id == SNAPSHOT, "snapshot of the completed prebuild")
    check(created.spec.spec_version == 1 and created.status.status_version >= 1, "versions start")
    m = created.metadata
    check((m.organization_id, m.project_id, m.environment_class_id, m.runner_id)
          == (ORGANIZATION, PROJECT, CLASS_SMALL, RUNNER), "metadata ids")
    check(m.created_at.seconds > 1_600_000_000 and m.updated_at == m.created_at, "timestamps")

    # One pool per (project, environment class).
    e = expect_error(Code.ALREADY_EXISTS, "second pool for the same pair",
                     lambda: client.create_warm_pool(
                         P.CreateWarmPoolRequest(project_id=PROJECT, environment_class_id=CLASS_SMALL),
                         headers=auth))
    check(created.id in e.message, "already_exists names the existing pool")

    # Creation rules.
    expect_error(Code.INVALID_ARGUMENT, "project id not a UUID",
                 lambda: client.create_warm_pool(
                     P.CreateWarmPoolRequest(project_id="nope", environment_class_id=CLASS_LARGE), headers=auth))
    expect_error(Code.INVALID_ARGUMENT, "max_size 21",
                 lambda: client.create_warm_pool(
                     P.CreateWarmPoolRequest(project_id=PROJECT, environment_class_id=CLASS_LARGE, max_size=21),
                     headers=auth))
    expect_error(Code.FAILED_PRECONDITION, "class outside the prebuild configuration",
                 lambda: client.create_warm_pool(
                     P.CreateWarmPoolRequest(project_id=PROJECT, environment_class_id=CLASS_GPU), headers=auth))
    expect_error(Code.FAILED_PRECONDITION, "project without prebuilds",
                 lambda: client.create_warm_pool(
                     P.CreateWarmPoolRequest(project_id=PROJECT_NO_PREBUILDS, environment_class_id=CLASS_SMALL),
                     headers=auth))
    expect_error(Code.NOT_FOUND, "unknown project",
                 lambda: client.create_warm_pool(
                     P.CreateWarmPoolRequest(project_id="0c000000-0000-4000-8000-0000000000ff",
                                             environment_class_id=CLASS_SMALL), headers=auth))

    # Get until READY.
    ready = wait_for(client, auth, created.id, P.WARM_POOL_PHASE_READY, deadline)
    check(ready.status.running_instances == 2 and ready.status.desired_size == 2, "READY runs min_size")
    check(ready.status.status_version > created.status.status_version, "status version bumped")

    # Update: spec version and updatedAt move, PENDING again, then READY with the new size.
    updated = client.update_warm_pool(
        P.UpdateWarmPoolRequest(warm_pool_id=created.id, min_size=3, max_size=5), headers=auth).warm_pool
    check((updated.spec.min_size, updated.spec.max_size) == (3, 5), "update applied")
    check(updated.spec.spec_version == 2, "spec version bumped")
    check(updated.status.phase == P.WARM_POOL_PHASE_PENDING, "update goes PENDING")
    check(updated.metadata.updated_at.ToNanoseconds() >= ready.metadata.updated_at.ToNanoseconds(), "updatedAt")
    ready = wait_for(client, auth, created.id, P.WARM_POOL_PHASE_READY, deadline)
    check(ready.status.running_instances == 3, "READY again with 3")

    # Invalid update: min > max.
    e = expect_error(Code.INVALID_ARGUMENT, "update with min_size > max_size",
                     lambda: client.update_warm_pool(
                         P.UpdateWarmPoolRequest(warm_pool_id=created.id, min_size=6, max_size=2), headers=auth))
    check("min_size" in e.message, "message names min_size")
    expect_error(Code.NOT_FOUND, "update of an unknown pool",
                 lambda: client.update_warm_pool(
                     P.UpdateWarmPoolRequest(warm_pool_id="11111111-1111-4111-8111-111111111111", min_size=1),
                     headers=auth))

    # A second pool (the class without a snapshot) for listing.
    large = client.create_warm_pool(
        P.CreateWarmPoolRequest(project_id=PROJECT, environment_class_id=CLASS_LARGE, desired_size=2),
        headers=auth).warm_pool
    check(not large.spec.HasField("snapshot_id"), "no snapshot yet for the large class")
    check((large.spec.min_size, large.spec.max_size, large.spec.desired_size) == (2, 2, 2),
          "deprecated desired_size sets min = max")

    # List: everything, filters, pages.
    everything = client.list_warm_pools(P.ListWarmPoolsRequest(), headers=auth)
    check([p.id for p in everything.warm_pools] == [created.id, large.id], "list in creation order")
    check(everything.pagination.next_token == "", "single page: no next token")
    by_class = client.list_warm_pools(
        P.ListWarmPoolsRequest(filter=P.ListWarmPoolsRequest.Filter(environment_class_ids=[CLASS_LARGE])),
        headers=auth)
    check([p.id for p in by_class.warm_pools] == [large.id], "filter by environment class")
    by_project = client.list_warm_pools(
        P.ListWarmPoolsRequest(filter=P.ListWarmPoolsRequest.Filter(project_ids=[PROJECT_NO_PREBUILDS])),
        headers=auth)
    check(len(by_project.warm_pools) == 0, "filter by a project without pools")
    seen, token, pages = [], "", 0
    while True:
        page = client.list_warm_pools(
            P.ListWarmPoolsRequest(pagination=pagination_pb2.PaginationRequest(page_size=1, token=token)),
            headers=auth)
        pages += 1
        check(len(page.warm_pools) == 1, f"page {pages} holds one pool")
        seen += [p.id for p in page.warm_pools]
        token = page.pagination.next_token
        if not token or pages > 5:
            break
    check(seen == [created.id, large.id] and pages == 2, "pages walk every pool once")
    expect_error(Code.INVALID_ARGUMENT, "page size above 100",
                 lambda: client.list_warm_pools(
                     P.ListWarmPoolsRequest(pagination=pagination_pb2.PaginationRequest(page_size=101)),
                     headers=auth))

    # A bad token is refused.
    expect_error(Code.UNAUTHENTICATED, "bad token",
                 lambda: client.list_warm_pools(P.ListWarmPoolsRequest(),
                                                headers={"Authorization": "Bearer not-the-token"}))
    expect_error(Code.UNAUTHENTICATED, "no token", lambda: client.list_warm_pools(P.ListWarmPoolsRequest()))

    # Delete: DELETING, then gone.
    for pool_id in (created.id, large.id):
        client.delete_warm_pool(P.DeleteWarmPoolRequest(warm_pool_id=pool_id), headers=auth)
        deleting = client.get_warm_pool(P.GetWarmPoolRequest(warm_pool_id=pool_id), headers=auth).warm_pool
        if settle_ms > 0:
            check(deleting.status.phase in (P.WARM_POOL_PHASE_DELETING,), "DELETING after delete")
            check(deleting.spec.desired_phase == P.WARM_POOL_PHASE_DELETED, "desired phase DELETED")
        wait_gone(client, auth, pool_id, deadline)
    expect_error(Code.NOT_FOUND, "delete of a gone pool",
                 lambda: client.delete_warm_pool(P.DeleteWarmPoolRequest(warm_pool_id=created.id), headers=auth))
    check(len(client.list_warm_pools(P.ListWarmPoolsRequest(), headers=auth).warm_pools) == 0, "nothing left")
    print("lifecycle complete")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}")
        sys.exit(1)
