export function BrandMark({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" className="brand-mark">
      <path
        d="M16 3.5 5.5 7.6v7.3c0 6.5 4.4 11.8 10.5 13.6 6.1-1.8 10.5-7.1 10.5-13.6V7.6z"
        fill="none"
        stroke="currentColor"
        strokeWidth="2.2"
        strokeLinejoin="round"
      />
      <path d="m11.3 16 3.3 3.3 6.2-6.6" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
