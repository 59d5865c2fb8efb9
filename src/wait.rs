//! TEMPORARY stand-in until the clients branch lands its wait module.
use tokio::sync::watch;

#[derive(Clone)]
pub struct Stop(watch::Sender<bool>, watch::Receiver<bool>);

impl Stop {
    pub fn new() -> Self {
        let (tx, rx) = watch::channel(false);
        Stop(tx, rx)
    }
    pub fn trigger(&self) {
        let _ = self.0.send(true);
    }
    pub fn is_triggered(&self) -> bool {
        *self.1.borrow()
    }
}

impl Default for Stop {
    fn default() -> Self {
        Self::new()
    }
}
