// A value the views share, with change listeners: the renderer's store is made of these.
type Listener = () => void;

export class Cell<T> {
  private listeners = new Set<Listener>();
  constructor(public value: T) {}
  set(v: T): void {
    this.value = v;
    for (const l of this.listeners) l();
  }
  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }
  /**
   * Subscribes a view that last rendered `seen`, and tells it at once when the value changed
   * since. A view subscribes in an effect, after it painted: without this, a value set in that gap
   * was never shown (the contact list stuck on "chat is not available" when the chat snapshot
   * arrived there).
   */
  follow(seen: T, l: Listener): () => void {
    const unsubscribe = this.subscribe(l);
    if (this.value !== seen) l();
    return unsubscribe;
  }
}
