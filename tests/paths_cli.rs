//! Every output path is checked before any work: a missing or unwritable directory, a
//! directory, FIFO or device in its place, an output that is one of the command's inputs,
//! and two outputs that coincide are each one `error:` line with exit code 2, at once,
//! with the inputs untouched and no file created. A symbolic link is followed.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::{files_in, run, workspace_root, write_vector};

/// A scratch directory with a copy of the sine data (`sine.csv`) and parameters for
/// `--arch 1,3,1` (`p.npy`, 10 values).
fn scratch() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sine.csv");
    fs::copy(workspace_root().join("examples/sine.csv"), &data).unwrap();
    let params = dir.path().join("p.npy");
    write_vector(&params, &[0.1, -0.2, 0.3, 0.0, 0.0, 0.0, 0.5, -0.4, 0.2, 0.0]);
    (dir, data, params)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn model(data: &Path) -> Vec<String> {
    ["--problem", "regression", "--arch", "1,3,1", "--act", "tanh", "--data", &s(data)]
        .iter()
        .map(|a| a.to_string())
        .collect()
}

/// Each command with its long-running form (minutes of work if the check came after it).
fn derivs(data: &Path, params: &Path, extra: &[String]) -> Vec<String> {
    let mut args = vec!["derivs".to_string()];
    args.extend(model(data));
    args.extend(["--params".to_string(), s(params)]);
    args.extend(extra.iter().cloned());
    args
}

fn fit(data: &Path, extra: &[String]) -> Vec<String> {
    let mut args = vec!["fit".to_string()];
    args.extend(model(data));
    args.extend(["--solver", "gd", "--gtol", "0", "--max-iter", "100000000"].map(String::from));
    args.extend(extra.iter().cloned());
    args
}

fn sweep(data: &Path, extra: &[String]) -> Vec<String> {
    let mut args = vec!["sweep".to_string()];
    args.extend(model(data));
    args.extend(
        ["--solvers", "gd", "--gtol", "0", "--seeds", "10000", "--max-iter", "100000"].map(String::from),
    );
    args.extend(extra.iter().cloned());
    args
}

fn spectrum(data: &Path, params: &Path, extra: &[String]) -> Vec<String> {
    let mut args = vec!["spectrum".to_string()];
    args.extend(model(data));
    args.extend(["--params".to_string(), s(params)]);
    args.extend(extra.iter().cloned());
    args
}

fn flags(pairs: &[(&str, &Path)]) -> Vec<String> {
    pairs.iter().flat_map(|(f, p)| [f.to_string(), s(p)]).collect()
}

/// Runs a command that must be refused: one `error:` line naming `needles`, exit 2, within
/// a few seconds (the work it would do takes far longer), the directory as it was and the
/// inputs unchanged.
fn refused(dir: &Path, args: Vec<String>, needles: &[&str]) {
    let before = contents(dir);
    drop(support::saddle()); // built before the clock starts
    let start = Instant::now();
    let outcome = run(&args);
    let took = start.elapsed();
    outcome.user_error(needles);
    assert!(took < Duration::from_secs(5), "{args:?} took {took:?} to be refused");
    assert!(contents(dir) == before, "{args:?} changed the files of {}", dir.display());
}

/// The names of the entries of `dir`, with the bytes of those that are regular files.
fn contents(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    files_in(dir)
        .into_iter()
        .map(|name| {
            let path = dir.join(&name);
            let regular = fs::symlink_metadata(&path).unwrap().file_type().is_file();
            let bytes = regular.then(|| fs::read(&path).unwrap());
            (name, bytes)
        })
        .collect()
}

#[test]
fn a_missing_directory_is_refused_before_any_work() {
    let (dir, data, params) = scratch();
    let missing = dir.path().join("nonexist");
    let out = missing.join("s.jsonl");
    let p = dir.path();
    refused(
        p,
        sweep(&data, &flags(&[("--out", &out)])),
        &["s.jsonl: cannot write: directory", "does not exist"],
    );
    refused(p, fit(&data, &flags(&[("--params-out", &missing.join("p.npy"))])), &["p.npy", "does not exist"]);
    refused(p, fit(&data, &flags(&[("--out", &missing.join("r.jsonl"))])), &["r.jsonl", "does not exist"]);
    refused(
        p,
        fit(&data, &flags(&[("--checkpoint", &missing.join("ck.json"))])),
        &["ck.json", "does not exist"],
    );
    refused(p, derivs(&data, &params, &flags(&[("--grad-out", &missing.join("g.npy"))])), &["g.npy"]);
    refused(p, spectrum(&data, &params, &flags(&[("--density", &missing.join("d.csv"))])), &["d.csv"]);
}

#[test]
fn directories_fifos_and_devices_are_refused_and_left_as_they_are() {
    let (dir, data, params) = scratch();
    let p = dir.path();
    let sub = p.join("sub");
    fs::create_dir(&sub).unwrap();
    refused(
        p,
        derivs(&data, &params, &flags(&[("--grad-out", &sub)])),
        &["sub: cannot write: is a directory"],
    );
    refused(p, sweep(&data, &flags(&[("--out", &sub)])), &["is a directory"]);
    assert!(sub.is_dir());
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let fifo = p.join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let says = ["fifo: cannot write: it is a FIFO (named pipe); an output must be a regular file"];
        refused(p, fit(&data, &flags(&[("--out", &fifo)])), &says);
        refused(p, sweep(&data, &flags(&[("--out", &fifo)])), &says);
        refused(p, derivs(&data, &params, &flags(&[("--hessian-out", &fifo)])), &says);
        refused(p, spectrum(&data, &params, &flags(&[("--density", &fifo)])), &says);
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO is still one");
        let null = Path::new("/dev/null");
        if null.exists() {
            refused(p, fit(&data, &flags(&[("--params-out", null)])), &["/dev/null", "a character device"]);
            assert!(fs::metadata(null).unwrap().file_type().is_char_device());
        }
    }
}

#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let (dir, data, params) = scratch();
    let p = dir.path();
    let both = |flag: &str, out: &str| vec![flag.to_string(), out.to_string()];
    refused(
        p,
        derivs(&data, &params, &both("--grad-out", &s(&params))),
        &["p.npy: is both an input (--params) and an output (--grad-out)"],
    );
    // By another name: the same file is caught.
    let other_name = format!("{}/./p.npy", s(p));
    refused(
        p,
        spectrum(&data, &params, &both("--density", &other_name)),
        &["(--params) and an output (--density)"],
    );
    refused(
        p,
        fit(&data, &both("--out", &s(&data))),
        &["sine.csv: is both an input (--data) and an output (--out)"],
    );
    refused(p, fit(&data, &both("--params-out", &s(&data))), &["(--data) and an output (--params-out)"]);
    refused(p, sweep(&data, &both("--out", &s(&data))), &["(--data) and an output (--out)"]);
    let mut with_params = both("--params", &s(&params));
    with_params.extend(both("--params-out", &s(&params)));
    refused(p, fit(&data, &with_params), &["(--params) and an output (--params-out)"]);
    // The sweep's arguments file is an output too.
    let sidecar = p.join("runs.jsonl.args.json");
    fs::copy(&data, &sidecar).unwrap();
    refused(
        p,
        sweep(&sidecar, &both("--out", &s(&p.join("runs.jsonl")))),
        &["runs.jsonl.args.json: is both an input (--data) and an output (--out's arguments file)"],
    );
    #[cfg(unix)]
    {
        let link = p.join("hard.npy");
        fs::hard_link(&params, &link).unwrap();
        refused(
            p,
            derivs(&data, &params, &both("--grad-out", &s(&link))),
            &["(--params) and an output (--grad-out)"],
        );
    }
}

#[test]
fn two_outputs_that_coincide_are_refused() {
    let (dir, data, params) = scratch();
    let p = dir.path();
    let a = p.join("a.npy");
    let also_a = PathBuf::from(format!("{}/./a.npy", s(p)));
    refused(
        p,
        derivs(&data, &params, &flags(&[("--grad-out", &a), ("--hessian-out", &also_a)])),
        &["named as more than one output file (--grad-out and --hessian-out)"],
    );
    let r = p.join("r.jsonl");
    refused(p, fit(&data, &flags(&[("--out", &r), ("--checkpoint", &r)])), &["(--out and --checkpoint)"]);
    refused(p, fit(&data, &flags(&[("--out", &r), ("--params-out", &r)])), &["(--out and --params-out)"]);
}

#[test]
fn a_symbolic_link_is_followed_and_kept() {
    let (dir, data, params) = scratch();
    let p = dir.path();
    let target = p.join("target.npy");
    fs::write(&target, b"old").unwrap();
    #[cfg(unix)]
    {
        let link = p.join("link.npy");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        run(derivs(&data, &params, &flags(&[("--grad-out", &link)]))).success_json();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is still a link");
        assert_eq!(support::read_vector(&target, 10).len(), 10, "the target holds the gradient");
        // A link to nothing is refused.
        let dangling = p.join("dangling.npy");
        std::os::unix::fs::symlink(p.join("nowhere.npy"), &dangling).unwrap();
        refused(
            p,
            derivs(&data, &params, &flags(&[("--grad-out", &dangling)])),
            &["dangling.npy: cannot write: it is a symbolic link to a missing file"],
        );
    }
}

#[test]
fn an_unwritable_directory_is_refused() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let (dir, data, _) = scratch();
        let locked = dir.path().join("locked");
        fs::create_dir(&locked).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
        // Root writes in a read-only directory; then try sysfs, which takes no new files.
        let unwritable = |d: &Path| d.is_dir() && fs::write(d.join(".saddle-probe"), b"").is_err();
        let sys = Path::new("/sys");
        let target = [locked.as_path(), sys].into_iter().find(|d| unwritable(d));
        let target = target.expect("no unwritable directory to test with");
        refused(
            dir.path(),
            fit(&data, &flags(&[("--out", &target.join("r.jsonl"))])),
            &["r.jsonl: cannot write: cannot create a file in directory"],
        );
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(files_in(&locked).iter().all(|f| f == ".saddle-probe"));
    }
}
