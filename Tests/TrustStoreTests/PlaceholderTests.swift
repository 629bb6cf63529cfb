import Testing
import TrustStore
