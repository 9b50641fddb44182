package dev.mirrorsd.core;
import ai.djl.ndarray.*; import ai.djl.ndarray.types.*;
import dev.mirrorsd.core.engine.djl.DjlCausalLM;
import dev.mirrorsd.core.model.*;
import dev.mirrorsd.core.testing.RandomWeights;
import org.junit.jupiter.api.Test;
import java.util.Arrays;
class TmpWin {
  static double median(long[] v){ long[] c=v.clone(); Arrays.sort(c); return c[c.length/2]/1e6; }
  @Test void win() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.randomNormal(new Shape(1536*2, 576)); NDArray d = m.randomNormal(new Shape(576,1536));
      for (int rows : new int[]{}) {
        NDArray x = m.randomNormal(new Shape(rows, 576));
        long[] t=new long[200];
        for (int r=0;r<200;r++){ long a=System.nanoTime(); try (NDArray y = x.getNDArrayInternal().linear(x, w, null).singletonOrThrow()) {} t[r]=System.nanoTime()-a; }
        NDArray xt = m.randomNormal(new Shape(rows, 1536));
        long[] t2=new long[200];
        for (int r=0;r<200;r++){ long a=System.nanoTime(); try (NDArray y = xt.getNDArrayInternal().linear(xt, d, null).singletonOrThrow()) {} t2[r]=System.nanoTime()-a; }
        System.out.println("rows "+rows+" gateup(3072x576) ms "+median(t)+" down(576x1536) ms "+median(t2));
      }
    }
    ModelConfig c = new ModelConfig(Architecture.LLAMA, 49152, 576, 1536, 30, 9, 3, 64, 8192, 1e-5f, 100000f, true, false, 1, new int[]{2});
    for (int th : new int[]{2,1,2}) {
    try (DjlCausalLM model = DjlCausalLM.load(RandomWeights.of(c, 1), ai.djl.Device.cpu(), th); Sequence s = model.newSequence(1024)) {
      System.out.println("threads "+th);
      int[] prompt = new int[100]; s.forward(Window.chain(prompt,0), 99);
      for (int w : new int[]{1,2,5,8}) {
        long[] t=new long[20];
        for (int r=0;r<20;r++){ long a=System.nanoTime(); s.forward(Window.chain(new int[w], s.length()), 0); t[r]=System.nanoTime()-a; s.truncate(s.length()-w);}
        System.out.println("window "+w+" median ms "+median(t));
      }
    }}
  }
}
