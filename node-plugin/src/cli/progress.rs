//! A progress bar on stderr while a scan reads layers, drawn only when stderr is a terminal.

use assure_engine::progress::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Draws the bytes of layer blobs read so far, and the layers done.
pub struct Bar {
    bar: ProgressBar,
    layers: AtomicUsize,
    done: AtomicUsize,
}

impl Bar {
    /// A bar on stderr when it is a terminal; `None` when piped or redirected, so logs and CI
    /// output stay clean.
    pub fn on_terminal() -> Option<Arc<Bar>> {
        std::io::stderr().is_terminal().then(|| {
            Arc::new(Bar {
                bar: ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
                layers: AtomicUsize::new(0),
                done: AtomicUsize::new(0),
            })
        })
    }

    /// Remove the bar before the report is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn show_layers(&self) {
        self.bar.set_message(format!(
            "{}/{} layers",
            self.done.load(Ordering::Relaxed),
            self.layers.load(Ordering::Relaxed)
        ));
    }
}

impl Progress for Bar {
    fn start(&self, layers: usize, bytes: u64) {
        // A constant template that parses; were it not to, only the styling would be lost.
        let style = ProgressStyle::with_template(
            "{spinner} scanning {msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        self.bar.set_style(style);
        self.bar.set_length(bytes);
        self.layers.store(layers, Ordering::Relaxed);
        self.show_layers();
        self.bar
            .enable_steady_tick(std::time::Duration::from_millis(120));
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }

    fn layer_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.show_layers();
    }
}
