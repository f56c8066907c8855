//! `saddle bench` end to end: the JSON object docs/CONTRACT.md specifies, with real timings, and
//! one-line errors for bad arguments.

mod support;

use support::run;

/// A tiny network, a tiny budget: every median is a positive number of seconds, the
/// parameter count is the network's, and the peak memory is reported where Linux gives it.
#[test]
fn bench_prints_medians_of_every_operation() {
    let out = run([
        "bench",
        "--problem",
        "pinn",
        "--arch",
        "1,3,1",
        "--act",
        "sin",
        "--points",
        "17",
        "--budget",
        "0.001",
        "--json",
    ])
    .success_json();
    assert_eq!(out["params"], 10);
    assert_eq!(out["problem"], "pinn");
    assert_eq!(out["points"], 17);
    for key in ["loss_s", "grad_s", "hvp_s", "hvp_same_theta_s", "hessian_s"] {
        let t = out[key].as_f64().unwrap_or_else(|| panic!("{key} is not a number: {out:?}"));
        assert!(t > 0.0 && t.is_finite(), "{key} = {t}");
    }
    // The work counts come from the compiled programs: a [1,3,1] network on 17 points has
    // products of 17×1·1×3 (loss: forward) at least, and each derivative does more.
    let flops = |op: &str| out["product_flops"][op].as_u64().unwrap_or_else(|| panic!("{op}: {out:?}"));
    assert!(flops("loss") >= 2 * 17 * 3, "{out:?}");
    assert!(flops("loss") < flops("grad") && flops("grad") < flops("hvp") && flops("hvp") < flops("hessian"));
    // An HVP at an unchanged θ reruns only what depends on v: some products, not all.
    assert!(0 < flops("hvp_same_theta") && flops("hvp_same_theta") < flops("hvp"), "{out:?}");
    if cfg!(target_os = "linux") {
        let rss = out["peak_rss_bytes"].as_u64().expect("peak_rss_bytes on Linux");
        assert!(rss > 1 << 20, "a process holds more than 1 MiB: {rss}");
    }
}

/// n = 12 441: the dense Hessian would take 1.2 GB, past the 1 GiB limit, so it is
/// neither built nor timed (`hessian_s` null) while the loss, gradient and HVPs are.
#[test]
fn bench_skips_a_hessian_past_the_dense_limit() {
    let out = run([
        "bench",
        "--problem",
        "regression",
        "--arch",
        "1,120,100,1",
        "--act",
        "tanh",
        "--points",
        "4",
        "--budget",
        "0.001",
        "--json",
    ])
    .success_json();
    assert_eq!(out["params"], 12_441);
    assert!(out["hessian_s"].is_null(), "{out:?}");
    assert!(out["product_flops"].get("hessian").is_none(), "{out:?}");
    for key in ["loss_s", "grad_s", "hvp_s", "hvp_same_theta_s"] {
        let t = out[key].as_f64().unwrap_or_else(|| panic!("{key} is not a number: {out:?}"));
        assert!(t > 0.0 && t.is_finite(), "{key} = {t}");
    }
    if cfg!(target_os = "linux") {
        // Far below the 1.2 GB an n × n buffer would take.
        let rss = out["peak_rss_bytes"].as_u64().expect("peak_rss_bytes on Linux");
        assert!(rss < 300 << 20, "peak memory {rss}");
    }
}

#[test]
fn bad_arguments_are_one_line_errors() {
    let base = ["bench", "--problem", "regression", "--arch", "1,3,1", "--act", "tanh"];
    let with = |extra: &[&str]| run(base.iter().chain(extra).copied().collect::<Vec<_>>());
    with(&["--points", "0"]).user_error(&["--points"]);
    with(&["--budget", "-1"]).user_error(&["--budget"]);
    with(&["--budget", "nan"]).user_error(&["--budget"]);
    run(["bench", "--problem", "regression", "--arch", "2,3,1", "--act", "nope"]).user_error(&["nope"]);
}
