//! `saddle predict` end to end: the CSV holds the inputs, u (the network written out by
//! hand) and the derivatives asked for (against central differences of u), at `--points`
//! or at the file's test points; every bad input is one `error:` line, exit 2, no file.

mod support;

use std::fs;
use std::path::Path;

use support::{files_in, run, write_vector};

/// A problem over x and y with a hard constraint in the trial and a 4 × 3 test grid.
const PROBLEM: &str = r#"
inputs = ["x", "y"]
trial = "x*(1 - x)*N + y"
[[terms]]
name = "interior"
residual = "-(u_xx + u_yy) - 1"
points = { grid = { x = [0, 1, 4], y = [0, 1, 4] } }
[test]
points = { grid = { x = [0, 1, 4], y = [-1, 1, 3] } }
"#;

/// A deterministic θ of the [2,4,1] network.
fn theta() -> Vec<f64> {
    (0..17).map(|i| 0.7 * ((i as f64 + 1.0) * 0.9).sin()).collect()
}

/// u = x(1 − x)·N + y with N the [2,4,1] tanh network written out: W₁ (2 × 4, row-major),
/// b₁, W₂ (4 × 1), b₂.
fn by_hand(p: &[f64], x: f64, y: f64) -> f64 {
    let net = p[16] + (0..4).map(|k| p[12 + k] * (p[k] * x + p[4 + k] * y + p[8 + k]).tanh()).sum::<f64>();
    x * (1.0 - x) * net + y
}

/// The header and the rows of a CSV of numbers.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines.map(|l| l.split(',').map(|c| c.parse().unwrap()).collect()).collect();
    (header, rows)
}

fn setup(dir: &Path) -> (String, String) {
    let problem = dir.join("p.toml");
    fs::write(&problem, PROBLEM).unwrap();
    let params = dir.join("theta.npy");
    write_vector(&params, &theta());
    (problem.display().to_string(), params.display().to_string())
}

#[test]
fn predict_writes_the_network_and_its_derivatives() {
    let dir = tempfile::tempdir().unwrap();
    let (problem, params) = setup(dir.path());
    // Each point, then its neighbours at x ± h and y ± h for the differences.
    let h = 1e-5;
    let centres = [(0.25, 0.5), (0.9, -0.3), (0.5, 1.7)];
    let mut csv = String::from("ignored,y,x\n");
    for &(x, y) in &centres {
        for (dx, dy) in [(0.0, 0.0), (h, 0.0), (-h, 0.0), (0.0, h), (0.0, -h)] {
            csv.push_str(&format!("7,{:?},{:?}\n", y + dy, x + dx));
        }
    }
    let points = dir.path().join("points.csv");
    fs::write(&points, csv).unwrap();
    let out = dir.path().join("pred.csv");
    let common = ["--problem", &problem, "--arch", "2,4,1", "--act", "tanh", "--params", &params];
    let summary = run(["predict"].iter().chain(&common).chain(&[
        "--points",
        points.to_str().unwrap(),
        "--derivatives",
        "u_x,u_yy,d(u, x, y)",
        "--out",
        out.to_str().unwrap(),
    ]))
    .success_json();
    assert_eq!(summary["points"], 15);
    assert_eq!(summary["params"], 17);
    assert_eq!(summary["at"], "points");
    assert_eq!(summary["columns"], serde_json::json!(["x", "y", "u", "u_x", "u_yy", "d(u, x, y)"]));
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("x,y,u,u_x,u_yy,\"d(u, x, y)\"\n"), "{text}");
    let body: String = text.lines().skip(1).collect::<Vec<_>>().join("\n");
    let rows: Vec<Vec<f64>> =
        body.lines().map(|l| l.split(',').map(|c| c.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), 15);
    let p = theta();
    for row in &rows {
        let want = by_hand(&p, row[0], row[1]);
        assert!(
            (row[2] - want).abs() <= 1e-14 * want.abs().max(1.0),
            "u({}, {}) = {} vs {want}",
            row[0],
            row[1],
            row[2]
        );
    }
    for (c, &(x, y)) in centres.iter().enumerate() {
        let r = &rows[5 * c..5 * c + 5];
        assert_eq!((r[0][0], r[0][1]), (x, y));
        let u_x = (r[1][2] - r[2][2]) / (2.0 * h);
        let u_yy = (r[3][2] - 2.0 * r[0][2] + r[4][2]) / (h * h);
        let u_xy = (r[3][3] - r[4][3]) / (2.0 * h);
        assert!(
            (r[0][3] - u_x).abs() <= 1e-8 * u_x.abs().max(1.0),
            "u_x at ({x}, {y}): {} vs {u_x}",
            r[0][3]
        );
        assert!(
            (r[0][4] - u_yy).abs() <= 1e-4 * u_yy.abs().max(1.0),
            "u_yy at ({x}, {y}): {} vs {u_yy}",
            r[0][4]
        );
        assert!(
            (r[0][5] - u_xy).abs() <= 1e-8 * u_xy.abs().max(1.0),
            "u_xy at ({x}, {y}): {} vs {u_xy}",
            r[0][5]
        );
    }

    // Without --points (or with --test): the file's test points, the first input slowest.
    let test_out = dir.path().join("test.csv");
    let summary =
        run(["predict"].iter().chain(&common).chain(&["--test", "--out", test_out.to_str().unwrap()]))
            .success_json();
    assert_eq!(summary["at"], "test");
    let (header, rows) = read_csv(&test_out);
    assert_eq!(header, ["x", "y", "u"]);
    assert_eq!(rows.len(), 12);
    assert_eq!((rows[1][0], rows[1][1], rows[3][0]), (0.0, 0.0, 1.0 / 3.0));
    for row in &rows {
        let want = by_hand(&p, row[0], row[1]);
        assert!((row[2] - want).abs() <= 1e-14 * want.abs().max(1.0), "u = {} vs {want}", row[2]);
    }
    let again = dir.path().join("again.csv");
    run(["predict"].iter().chain(&common).chain(&["--out", again.to_str().unwrap()])).success_json();
    assert_eq!(fs::read(&again).unwrap(), fs::read(&test_out).unwrap());
}

#[test]
fn predict_refuses_bad_inputs_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let (problem, params) = setup(dir.path());
    let points = dir.path().join("points.csv");
    fs::write(&points, "x,t\n0.5,0.5\n").unwrap();
    let short = dir.path().join("short.npy");
    write_vector(&short, &[1.0, 2.0]);
    let out = dir.path().join("pred.csv");
    let out = out.to_str().unwrap();
    let before = files_in(dir.path());
    let short = short.display().to_string();
    let model_with = |arch: &str, params: &str| -> Vec<String> {
        ["--problem", &problem, "--arch", arch, "--act", "tanh", "--params", params]
            .map(String::from)
            .to_vec()
    };
    let model = |arch: &str| model_with(arch, &params);
    let cases: Vec<(Vec<String>, Vec<&str>)> = vec![
        (
            vec!["--derivatives".into(), "u_x,u_q".into()],
            vec!["--derivatives: 'u_q'", "'q' is not an input (inputs: x, y)"],
        ),
        (vec!["--derivatives".into(), "u".into()], vec!["--derivatives: 'u': not a derivative of u"]),
        (vec!["--points".into(), points.display().to_string()], vec!["no column 'y'", "found: x, t"]),
        (vec!["--points".into(), points.display().to_string(), "--test".into()], vec!["--points", "--test"]),
    ];
    for (extra, needles) in cases {
        let mut args = vec!["predict".to_string()];
        args.extend(model("2,4,1"));
        args.extend(extra);
        args.extend(["--out".to_string(), out.to_string()]);
        run(&args).user_error(&needles);
    }
    let mut args = vec!["predict".to_string()];
    args.extend(model_with("2,4,1", &short));
    args.extend(["--out".to_string(), out.to_string()]);
    run(&args).user_error(&["the parameter count of --arch 2,4,1"]);
    let mut args = vec!["predict".to_string()];
    args.extend(model("1,4,1"));
    args.extend(["--out".to_string(), out.to_string()]);
    run(&args).user_error(&["--arch 1,4,1 takes 1 input(s)", "has 2 (x, y)"]);
    run([
        "predict",
        "--problem",
        "pinn",
        "--arch",
        "1,4,1",
        "--act",
        "tanh",
        "--params",
        &params,
        "--out",
        out,
    ])
    .user_error(&["predict needs a problem file", "--problem pinn is built in"]);
    // Outputs are checked before anything is read: an input, a missing folder.
    let mut args = vec!["predict".to_string()];
    args.extend(model("2,4,1"));
    args.extend(["--out".to_string(), params.clone()]);
    run(&args).user_error(&["is both an input (--params) and an output (--out)"]);
    let mut args = vec!["predict".to_string()];
    args.extend(model("2,4,1"));
    args.extend(["--out".to_string(), dir.path().join("no/such/dir/p.csv").display().to_string()]);
    run(&args).user_error(&["no/such/dir"]);
    assert_eq!(files_in(dir.path()), before);
}
