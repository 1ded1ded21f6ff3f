//! Independent work split over the cores, bounded: the evaluation of a competência's teams and the
//! projector's envelopes.

/// Bound on `in_parallel`'s threads, whatever the machine says.
const MAX_THREADS: usize = 8;

/// `f` over `items`, in their order, split in contiguous chunks over the available cores (on the calling
/// thread below `from` items, where threads cost more than they save). The items must be independent: the
/// result is the sequential one.
pub fn in_parallel<T: Sync, U: Send>(
    items: &[T],
    from: usize,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(MAX_THREADS);
    if threads < 2 || items.len() < from {
        return items.iter().map(f).collect();
    }
    let size = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(size)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for handle in handles {
            out.extend(
                handle
                    .join()
                    .expect("in_parallel's function does not panic"),
            );
        }
        out
    })
}
