# Runs with `terraform test` against pools-sandbox: the provider takes its endpoints and
# credentials from the environment (EXOSCALE_API_ENDPOINT, EXOSCALE_API_KEY,
# EXOSCALE_API_SECRET, ONA_BASE_URL, ONA_API_KEY), so nothing here names the sandbox.
# The ids are the sandbox's fixtures (`pools-sandbox --fixtures`).

variables {
  template_id          = "22222222-0000-4000-8000-000000000001"
  project_id           = "0c000000-0000-4000-8000-000000000001"
  environment_class_id = "0d000000-0000-4000-8000-000000000001"
}

run "creates_a_running_pool_of_two" {
  assert {
    condition     = pools_instance_pool.web.state == "running"
    error_message = "the pool should be running after apply"
  }
  assert {
    condition     = output.web_instances == 2
    error_message = "the pool should have two instances"
  }
  assert {
    condition     = pools_warm_pool.dev.phase == "READY"
    error_message = "the warm pool should be READY"
  }
}

run "scales_in_place" {
  variables {
    size = 3
  }
  assert {
    condition     = output.web_instances == 3
    error_message = "the pool should have three instances"
  }
  assert {
    condition     = pools_warm_pool.dev.max_size == 3
    error_message = "the warm pool should allow three instances"
  }
}

run "rejects_a_bad_size" {
  command = plan
  variables {
    size = -1
  }
  expect_failures = [var.size]
}
