//! Random bytes from the OS, drawn from a per-thread pool: what the transports feed the core
//! (16 bytes per call, per callback reply, per session), which never draws any itself.

/// 16 random bytes from the OS generator, which is read 512 bytes at a time per thread: one
/// `getrandom` call per 32 draws instead of one per callback reply, where it was a third of
/// the server's system calls per request. The bytes are the OS generator's, each handed out
/// once (and wiped from the pool when taken), never twice across a `fork`.
///
/// # Panics
/// When the operating system cannot provide random bytes: there is no safe substitute (a
/// clock is guessable), so this fails loudly.
pub fn random16() -> [u8; 16] {
    thread_local! {
        static RANDOM: std::cell::RefCell<Pool> = const { std::cell::RefCell::new(Pool::EMPTY) };
    }
    RANDOM.with_borrow_mut(|pool| pool.draw(std::process::id(), getrandom::fill))
}

/// A per-thread pool of OS random bytes, tagged with the process that filled it: a forked
/// child inherits a copy of its parent's pool, and the parent would hand out the same bytes
/// next, so a pool filled by another process is thrown away (checking the pid costs one
/// `getpid`, about 0.2 µs, per draw).
#[derive(Clone)]
struct Pool {
    bytes: [u8; Pool::SIZE],
    used: usize,
    pid: u32,
}

impl Pool {
    const SIZE: usize = 512;
    const EMPTY: Pool = Pool {
        bytes: [0; Pool::SIZE],
        used: Pool::SIZE,
        pid: 0,
    };

    fn draw(&mut self, pid: u32, fill: impl FnOnce(&mut [u8]) -> Result<(), getrandom::Error>) -> [u8; 16] {
        if self.used == Self::SIZE || self.pid != pid {
            if let Err(e) = fill(&mut self.bytes) {
                panic!("the operating system's random number generator failed: {e}");
            }
            self.used = 0;
            self.pid = pid;
        }
        let mut out = [0u8; 16];
        let taken = &mut self.bytes[self.used..self.used + 16];
        out.copy_from_slice(taken);
        taken.fill(0);
        self.used += 16;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_random_draws_never_repeat() {
        // Many pool refills, on two threads: every draw is fresh.
        let draw = || (0..2_000).map(|_| random16()).collect::<Vec<_>>();
        let other = std::thread::spawn(draw);
        let mut all = draw();
        all.extend(other.join().unwrap());
        let distinct: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), all.len());
        assert!(!all.contains(&[0; 16]));
    }

    #[test]
    fn a_forked_child_never_repeats_its_parents_draws() {
        let os = getrandom::fill;
        let mut parent = Pool::EMPTY;
        let first = parent.draw(100, os);
        // A fork copies the thread's memory: the child starts with the parent's pool.
        let mut child = parent.clone();
        let parents: Vec<_> = (0..40).map(|_| parent.draw(100, os)).collect();
        let childs: Vec<_> = (0..40).map(|_| child.draw(200, os)).collect();
        assert!(!parents.contains(&first));
        for draw in &childs {
            assert!(!parents.contains(draw) && *draw != first);
        }
    }

    #[test]
    #[should_panic(expected = "random number generator failed")]
    fn no_randomness_fails_loudly() {
        let mut pool = Pool::EMPTY;
        pool.draw(1, |_| Err(getrandom::Error::UNSUPPORTED));
    }
}
