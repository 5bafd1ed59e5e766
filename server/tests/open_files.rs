//! The server raises its own open-files limit (in a test binary of its own:
//! it lowers this process's limit, which the server inherits).

use testkit::*;

#[tokio::test]
async fn the_server_raises_its_soft_open_files_limit_to_the_hard_one() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        assert!(
            limit.rlim_max > 512,
            "hard limit {} too low to test",
            limit.rlim_max
        );
        limit.rlim_cur = 512;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    let data = tempfile::tempdir().unwrap();
    let server = ChatServer::start(data.path(), &[]).await;
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    let open_files: Vec<&str> = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .skip(3)
        .take(2)
        .collect();
    assert_eq!(
        open_files,
        [limit.rlim_max.to_string(), limit.rlim_max.to_string()],
        "{limits}"
    );
}
