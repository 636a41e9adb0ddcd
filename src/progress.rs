//! Progress bars on stderr for the command line (hidden when stderr is not a
//! terminal, so pipes and CI logs stay clean).

use std::io::IsTerminal;
use std::sync::Mutex;

use handspun::workloads::progress::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// One bar per phase, shown only on a terminal.
pub struct Bars {
    /// The current phase's bar. Guarded by the mutex: `start` and `finish`
    /// come from the main thread, `advance` from any worker.
    current: Mutex<Option<ProgressBar>>,
    /// Whether stderr is a terminal (decided once).
    visible: bool,
}

impl Bars {
    /// Bars that draw on stderr if it is a terminal.
    pub fn new() -> Bars {
        Bars {
            current: Mutex::new(None),
            visible: std::io::stderr().is_terminal(),
        }
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Progress for Bars {
    fn start(&self, label: &str, total: u64) {
        let target = if self.visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        let style = ProgressStyle::with_template("{prefix:>20} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        *self.current() = Some(bar);
    }

    fn advance(&self, done: u64) {
        // A ProgressBar is a cheap handle: clone it and draw outside the lock.
        let bar = self.current().clone();
        if let Some(bar) = bar {
            bar.inc(done);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.current().take() {
            bar.finish_and_clear();
        }
    }
}
