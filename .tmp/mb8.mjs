import { encodeBody } from '/work/main/dist/src/ingest/remote-write/body.js';
import { encodeWriteRequest } from '/work/main/dist/src/ingest/remote-write/v1-reference.js';
import { snappyDecode } from '/work/main/dist/src/wire/snappy.js';
const ts=[];
for (let i=0;i<2000;i++){const labels=[{name:'__name__',value:'bench_ingest_total'},{name:'__replica__',value:'a'},{name:'cluster',value:'eu1'},{name:'instance',value:`10.0.${i>>8}.${i&255}:9100`},{name:'job',value:'node'}];
for(let k=labels.length;k<10;k++)labels.push({name:`l${k}`,value:`v${(i*7+k)%97}`});labels.sort((a,b)=>a.name<b.name?-1:1);ts.push({labels,samples:[{value:i,timestamp:1704067200000}],exemplars:[],histograms:[]});}
const block=encodeBody(encodeWriteRequest({timeseries:ts,metadata:[]}));
function dec(block, out, T, C){let p=0,n=0,mul=1;for(;;){const b=block[p++];n+=(b&0x7f)*mul;if(b<0x80)break;mul*=128;}
let d=0;const end=block.length;
while(p<end){const tag=block[p];const kind=tag&3;
 if(kind===0){let len=tag>>>2;p++;if(len>=60){const nb=len-59;len=block[p];if(nb>1)len|=block[p+1]<<8;if(nb>2)len|=block[p+2]<<16;p+=nb;}len++;
  if(len<T){for(let i=0;i<len;i++)out[d+i]=block[p+i];}else out.set(block.subarray(p,p+len),d);p+=len;d+=len;continue;}
 let len,off;if(kind===1){len=4+((tag>>>2)&7);off=((tag&0xe0)<<3)|block[p+1];p+=2;}else if(kind===2){len=1+(tag>>>2);off=block[p+1]|(block[p+2]<<8);p+=3;}else{len=1+(tag>>>2);off=block[p+1]|(block[p+2]<<8)|(block[p+3]<<16);p+=5;}
 const s=d-off; if(off>=len&&len>=C) out.copyWithin(d,s,s+len); else for(let i=0;i<len;i++)out[d+i]=out[s+i]; d+=len;}
return d;}
function t(label,f,n=1000){for(let i=0;i<200;i++)f();const s=performance.now();for(let i=0;i<n;i++)f();console.log(label,((performance.now()-s)/n).toFixed(3),'ms');}
const scratch=Buffer.allocUnsafe(400000);
t('current',()=>snappyDecode(block,1e8));
for (const [T,C] of [[8,8],[8,16],[4,8],[8,12],[8,8],[8,16]]) t(`reuse T${T} C${C}`,()=>dec(block,scratch,T,C));
t('alloc T16 C16',()=>dec(block,Buffer.allocUnsafe(366086),16,16));
