/** Neumaier's compensated sum: exact enough that adapters summing in SQL stay within tolerance. */
export class NumericSum {
  sum = 0;
  compensation = 0;
  count = 0;

  add(x: number): void {
    const t = this.sum + x;
    if (Math.abs(this.sum) >= Math.abs(x)) this.compensation += this.sum - t + x;
    else this.compensation += x - t + this.sum;
    this.sum = t;
    this.count++;
  }

  value(): number {
    const v = this.sum + this.compensation;
    // Overflow leaves an infinite sum and a NaN compensation; report the infinity.
    return Number.isNaN(v) ? this.sum : v;
  }
}
