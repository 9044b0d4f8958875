"""kubectl against CustomResourceDefinitions: apply (client- and server-side), printer columns,
explain, categories, wait for Established, and deleting the CRD."""

import textwrap

import pytest
import yaml

pytestmark = pytest.mark.e2e

CRD = textwrap.dedent("""\
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: crontabs.stable.example.com
    spec:
      group: stable.example.com
      scope: Namespaced
      names:
        plural: crontabs
        singular: crontab
        kind: CronTab
        shortNames: [ct]
        categories: [all]
      versions:
      - name: v1
        served: true
        storage: true
        subresources:
          status: {}
        additionalPrinterColumns:
        - name: Spec
          type: string
          jsonPath: .spec.cronSpec
        - name: Replicas
          type: integer
          jsonPath: .spec.replicas
        - name: Age
          type: date
          jsonPath: .metadata.creationTimestamp
        schema:
          openAPIV3Schema:
            type: object
            properties:
              spec:
                type: object
                properties:
                  cronSpec:
                    type: string
                    description: The cron schedule.
                  image:
                    type: string
                  replicas:
                    type: integer
                    default: 1
                    minimum: 1
                  tags:
                    type: array
                    x-kubernetes-list-type: set
                    items:
                      type: string
              status:
                type: object
                properties:
                  phase:
                    type: string
""")


def cr(image="my-awesome-cron-image", spec="* * * * */5", extra=""):
    return textwrap.dedent(f"""\
        apiVersion: stable.example.com/v1
        kind: CronTab
        metadata:
          name: my-new-cron-object
        spec:
          cronSpec: "{spec}"
          image: {image}
        """) + extra


@pytest.mark.parametrize("version", ["1.30", "1.32"])
def test_kubectl_with_a_crd(cluster, version, tmp_path):
    k = lambda *a, **kw: cluster.kubectl(*a, version=version, **kw)  # noqa: E731
    ns = f"crd-{version.replace('.', '-')}"
    k("create", "namespace", ns)
    k("apply", "-f", "-", input=CRD)
    k("wait", "--for=condition=Established", "crd/crontabs.stable.example.com", "--timeout=20s")
    k("apply", "-n", ns, "-f", "-", input=cr())
    out = k("get", "crontabs", "-n", ns).stdout.splitlines()
    assert out[0].split() == ["NAME", "SPEC", "REPLICAS", "AGE"]
    assert out[1].split()[:7] == ["my-new-cron-object", "*", "*", "*", "*", "*/5", "1"]
    # Client-side apply again with a changed image: merge patch, last-applied kept.
    k("apply", "-n", ns, "-f", "-", input=cr(image="other-image"))
    got = k("get", "ct", "my-new-cron-object", "-n", ns, "-o", "jsonpath={.spec.image} {.spec.replicas}").stdout
    assert got == "other-image 1"
    # Server-side apply by another manager conflicts on image, and force takes it.
    conflict = k("apply", "--server-side", "--field-manager=other", "-n", ns, "-f", "-",
                 input=cr(image="third-image"), check=False)
    assert conflict.returncode != 0 and "conflict" in conflict.stderr.lower()
    k("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-n", ns, "-f", "-",
      input=cr(image="third-image"))
    assert k("get", "ct", "my-new-cron-object", "-n", ns, "-o", "jsonpath={.spec.image}").stdout == "third-image"
    diff = k("diff", "-n", ns, "-f", "-", input=cr(image="fourth-image"), check=False)
    assert diff.returncode == 1 and "+  image: fourth-image" in diff.stdout
    explain = k("explain", "crontabs.spec.cronSpec").stdout
    assert "The cron schedule." in explain
    top = k("explain", "crontabs").stdout
    assert "APIVersion defines the versioned schema of this representation of an object." in top
    assert "Standard object's metadata." in top
    assert "crontab.stable.example.com/my-new-cron-object" in k("get", "all", "-n", ns).stdout
    bad = k("apply", "-n", ns, "-f", "-", input=cr().replace("my-new-cron-object", "bad") + "  replicas: 0\n", check=False)
    assert bad.returncode != 0
    assert "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1" in bad.stderr
    # In a List kubectl validates on its own, from /openapi/v2, which publishes the CRD's schema.
    listed = yaml.safe_load(k("get", "crontabs", "-n", ns, "-o", "yaml").stdout)
    listed["items"][0]["spec"]["bogus"] = 1
    refused = k("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(listed), check=False)
    assert refused.returncode == 1
    assert ('ValidationError(CronTab.spec): unknown field "bogus" in com.example.stable.v1.CronTab.spec'
            in refused.stderr)
    explained = k("explain", "--output=plaintext-openapiv2", "crontabs.spec.cronSpec").stdout
    assert "The cron schedule." in explained
    k("delete", "namespace", ns, "--timeout=60s")


def test_api_resources_lists_crd(cluster):
    cluster.kubectl("apply", "-f", "-", input=CRD)
    cluster.kubectl("wait", "--for=condition=Established", "crd/crontabs.stable.example.com", "--timeout=20s")
    lines = cluster.kubectl("api-resources").stdout.splitlines()
    row = next(line.split() for line in lines if line.startswith("crontabs "))
    assert row == ["crontabs", "ct", "stable.example.com/v1", "true", "CronTab"]
    crd_row = next(line.split() for line in lines if line.startswith("customresourcedefinitions "))
    assert crd_row == ["customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition"]
