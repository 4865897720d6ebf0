#if canImport(Glibc)
import Glibc
#endif

/// The per-thread message behind `focal_last_error_message()`.
///
/// Each thread that ever fails gets one fixed-size, heap-allocated buffer, found through a
/// pthread key and freed by the key's destructor when the thread exits. Nothing is shared
/// between threads, so the library keeps no global mutable state.
enum LastError {
    static let capacity = 1024

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { buffer in free(buffer) }
        precondition(rc == 0, "focalloss: pthread_key_create failed")
        return key
    }()

    /// Stores `message` (truncated to the buffer) as this thread's last error.
    static func record(_ message: String) {
        var buffer = pthread_getspecific(key)?.assumingMemoryBound(to: CChar.self)
        if buffer == nil {
            guard let fresh = malloc(capacity)?.assumingMemoryBound(to: CChar.self) else { return }
            guard pthread_setspecific(key, fresh) == 0 else { free(fresh); return }
            buffer = fresh
        }
        guard let buffer else { return }
        var length = 0
        for byte in message.utf8 where length < capacity - 1 {
            buffer[length] = CChar(bitPattern: byte)
            length += 1
        }
        buffer[length] = 0
    }

    /// This thread's last message, or "no error".
    static var message: UnsafePointer<CChar> {
        if let buffer = pthread_getspecific(key) {
            return UnsafePointer(buffer.assumingMemoryBound(to: CChar.self))
        }
        return cString("no error")
    }
}

/// The address of a string literal's NUL-terminated UTF-8 bytes, which live as long as the
/// library is loaded.
func cString(_ literal: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
}
