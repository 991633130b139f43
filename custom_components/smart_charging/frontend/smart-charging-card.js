/* smart-charging-card, built from frontend/ (npm ci && npm run build); source sha256: 557ef247e9fc510c718e4527b6deefda8fe7a4de81520d9811ec5d5cd912c83a */
var W=globalThis,z=W.ShadowRoot&&(W.ShadyCSS===void 0||W.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,q=Symbol(),le=new WeakMap,w=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==q)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(z&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=le.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&le.set(t,e))}return e}toString(){return this.cssText}},ce=n=>new w(typeof n=="string"?n:n+"",void 0,q),C=(n,...e)=>{let t=n.length===1?n[0]:e.reduce((s,i,r)=>s+(o=>{if(o._$cssResult$===!0)return o.cssText;if(typeof o=="number")return o;throw Error("Value passed to 'css' function must be a 'css' function result: "+o+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(i)+n[r+1],n[0]);return new w(t,n,q)},ue=(n,e)=>{if(z)n.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),i=W.litNonce;i!==void 0&&s.setAttribute("nonce",i),s.textContent=t.cssText,n.appendChild(s)}},V=z?n=>n:n=>n instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return ce(t)})(n):n;var{is:He,defineProperty:Ue,getOwnPropertyDescriptor:Le,getOwnPropertyNames:We,getOwnPropertySymbols:ze,getPrototypeOf:je}=Object,j=globalThis,he=j.trustedTypes,Be=he?he.emptyScript:"",Fe=j.reactiveElementPolyfillSupport,k=(n,e)=>n,I={toAttribute(n,e){switch(e){case Boolean:n=n?Be:null;break;case Object:case Array:n=n==null?n:JSON.stringify(n)}return n},fromAttribute(n,e){let t=n;switch(e){case Boolean:t=n!==null;break;case Number:t=n===null?null:Number(n);break;case Object:case Array:try{t=JSON.parse(n)}catch{t=null}}return t}},fe=(n,e)=>!He(n,e),pe={attribute:!0,type:String,converter:I,reflect:!1,useDefault:!1,hasChanged:fe};Symbol.metadata??=Symbol("metadata"),j.litPropertyMetadata??=new WeakMap;var _=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=pe){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),i=this.getPropertyDescriptor(e,s,t);i!==void 0&&Ue(this.prototype,e,i)}}static getPropertyDescriptor(e,t,s){let{get:i,set:r}=Le(this.prototype,e)??{get(){return this[t]},set(o){this[t]=o}};return{get:i,set(o){let d=i?.call(this);r?.call(this,o),this.requestUpdate(e,d,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??pe}static _$Ei(){if(this.hasOwnProperty(k("elementProperties")))return;let e=je(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(k("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(k("properties"))){let t=this.properties,s=[...We(t),...ze(t)];for(let i of s)this.createProperty(i,t[i])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,i]of t)this.elementProperties.set(s,i)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let i=this._$Eu(t,s);i!==void 0&&this._$Eh.set(i,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let i of s)t.unshift(V(i))}else e!==void 0&&t.push(V(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return ue(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),i=this.constructor._$Eu(e,s);if(i!==void 0&&s.reflect===!0){let r=(s.converter?.toAttribute!==void 0?s.converter:I).toAttribute(t,s.type);this._$Em=e,r==null?this.removeAttribute(i):this.setAttribute(i,r),this._$Em=null}}_$AK(e,t){let s=this.constructor,i=s._$Eh.get(e);if(i!==void 0&&this._$Em!==i){let r=s.getPropertyOptions(i),o=typeof r.converter=="function"?{fromAttribute:r.converter}:r.converter?.fromAttribute!==void 0?r.converter:I;this._$Em=i;let d=o.fromAttribute(t,r.type);this[i]=d??this._$Ej?.get(i)??d,this._$Em=null}}requestUpdate(e,t,s,i=!1,r){if(e!==void 0){let o=this.constructor;if(i===!1&&(r=this[e]),s??=o.getPropertyOptions(e),!((s.hasChanged??fe)(r,t)||s.useDefault&&s.reflect&&r===this._$Ej?.get(e)&&!this.hasAttribute(o._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:i,wrapped:r},o){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,o??t??this[e]),r!==!0||o!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),i===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[i,r]of this._$Ep)this[i]=r;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[i,r]of s){let{wrapped:o}=r,d=this[i];o!==!0||this._$AL.has(i)||d===void 0||this.C(i,void 0,r,d)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};_.elementStyles=[],_.shadowRootOptions={mode:"open"},_[k("elementProperties")]=new Map,_[k("finalized")]=new Map,Fe?.({ReactiveElement:_}),(j.reactiveElementVersions??=[]).push("2.1.2");var ee=globalThis,me=n=>n,B=ee.trustedTypes,ge=B?B.createPolicy("lit-html",{createHTML:n=>n}):void 0,Se="$lit$",v=`lit$${Math.random().toFixed(9).slice(2)}$`,Ae="?"+v,Ke=`<${Ae}>`,S=document,N=()=>S.createComment(""),M=n=>n===null||typeof n!="object"&&typeof n!="function",te=Array.isArray,qe=n=>te(n)||typeof n?.[Symbol.iterator]=="function",J=`[ 	
\f\r]`,P=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,_e=/-->/g,be=/>/g,$=RegExp(`>|${J}(?:([^\\s"'>=/]+)(${J}*=${J}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),ve=/'/g,$e=/"/g,Ee=/^(?:script|style|textarea|title)$/i,se=n=>(e,...t)=>({_$litType$:n,strings:e,values:t}),p=se(1),ct=se(2),ut=se(3),A=Symbol.for("lit-noChange"),l=Symbol.for("lit-nothing"),ye=new WeakMap,y=S.createTreeWalker(S,129);function xe(n,e){if(!te(n)||!n.hasOwnProperty("raw"))throw Error("invalid template strings array");return ge!==void 0?ge.createHTML(e):e}var Ve=(n,e)=>{let t=n.length-1,s=[],i,r=e===2?"<svg>":e===3?"<math>":"",o=P;for(let d=0;d<t;d++){let a=n[d],c,u,h=-1,f=0;for(;f<a.length&&(o.lastIndex=f,u=o.exec(a),u!==null);)f=o.lastIndex,o===P?u[1]==="!--"?o=_e:u[1]!==void 0?o=be:u[2]!==void 0?(Ee.test(u[2])&&(i=RegExp("</"+u[2],"g")),o=$):u[3]!==void 0&&(o=$):o===$?u[0]===">"?(o=i??P,h=-1):u[1]===void 0?h=-2:(h=o.lastIndex-u[2].length,c=u[1],o=u[3]===void 0?$:u[3]==='"'?$e:ve):o===$e||o===ve?o=$:o===_e||o===be?o=P:(o=$,i=void 0);let m=o===$&&n[d+1].startsWith("/>")?" ":"";r+=o===P?a+Ke:h>=0?(s.push(c),a.slice(0,h)+Se+a.slice(h)+v+m):a+v+(h===-2?d:m)}return[xe(n,r+(n[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},R=class n{constructor({strings:e,_$litType$:t},s){let i;this.parts=[];let r=0,o=0,d=e.length-1,a=this.parts,[c,u]=Ve(e,t);if(this.el=n.createElement(c,s),y.currentNode=this.el.content,t===2||t===3){let h=this.el.content.firstChild;h.replaceWith(...h.childNodes)}for(;(i=y.nextNode())!==null&&a.length<d;){if(i.nodeType===1){if(i.hasAttributes())for(let h of i.getAttributeNames())if(h.endsWith(Se)){let f=u[o++],m=i.getAttribute(h).split(v),L=/([.?@])?(.*)/.exec(f);a.push({type:1,index:r,name:L[2],strings:m,ctor:L[1]==="."?G:L[1]==="?"?Y:L[1]==="@"?Q:x}),i.removeAttribute(h)}else h.startsWith(v)&&(a.push({type:6,index:r}),i.removeAttribute(h));if(Ee.test(i.tagName)){let h=i.textContent.split(v),f=h.length-1;if(f>0){i.textContent=B?B.emptyScript:"";for(let m=0;m<f;m++)i.append(h[m],N()),y.nextNode(),a.push({type:2,index:++r});i.append(h[f],N())}}}else if(i.nodeType===8)if(i.data===Ae)a.push({type:2,index:r});else{let h=-1;for(;(h=i.data.indexOf(v,h+1))!==-1;)a.push({type:7,index:r}),h+=v.length-1}r++}}static createElement(e,t){let s=S.createElement("template");return s.innerHTML=e,s}};function E(n,e,t=n,s){if(e===A)return e;let i=s!==void 0?t._$Co?.[s]:t._$Cl,r=M(e)?void 0:e._$litDirective$;return i?.constructor!==r&&(i?._$AO?.(!1),r===void 0?i=void 0:(i=new r(n),i._$AT(n,t,s)),s!==void 0?(t._$Co??=[])[s]=i:t._$Cl=i),i!==void 0&&(e=E(n,i._$AS(n,e.values),i,s)),e}var Z=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,i=(e?.creationScope??S).importNode(t,!0);y.currentNode=i;let r=y.nextNode(),o=0,d=0,a=s[0];for(;a!==void 0;){if(o===a.index){let c;a.type===2?c=new T(r,r.nextSibling,this,e):a.type===1?c=new a.ctor(r,a.name,a.strings,this,e):a.type===6&&(c=new X(r,this,e)),this._$AV.push(c),a=s[++d]}o!==a?.index&&(r=y.nextNode(),o++)}return y.currentNode=S,i}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},T=class n{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,i){this.type=2,this._$AH=l,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=i,this._$Cv=i?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=E(this,e,t),M(e)?e===l||e==null||e===""?(this._$AH!==l&&this._$AR(),this._$AH=l):e!==this._$AH&&e!==A&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):qe(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==l&&M(this._$AH)?this._$AA.nextSibling.data=e:this.T(S.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,i=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=R.createElement(xe(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===i)this._$AH.p(t);else{let r=new Z(i,this),o=r.u(this.options);r.p(t),this.T(o),this._$AH=r}}_$AC(e){let t=ye.get(e.strings);return t===void 0&&ye.set(e.strings,t=new R(e)),t}k(e){te(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,i=0;for(let r of e)i===t.length?t.push(s=new n(this.O(N()),this.O(N()),this,this.options)):s=t[i],s._$AI(r),i++;i<t.length&&(this._$AR(s&&s._$AB.nextSibling,i),t.length=i)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=me(e).nextSibling;me(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},x=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,i,r){this.type=1,this._$AH=l,this._$AN=void 0,this.element=e,this.name=t,this._$AM=i,this.options=r,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=l}_$AI(e,t=this,s,i){let r=this.strings,o=!1;if(r===void 0)e=E(this,e,t,0),o=!M(e)||e!==this._$AH&&e!==A,o&&(this._$AH=e);else{let d=e,a,c;for(e=r[0],a=0;a<r.length-1;a++)c=E(this,d[s+a],t,a),c===A&&(c=this._$AH[a]),o||=!M(c)||c!==this._$AH[a],c===l?e=l:e!==l&&(e+=(c??"")+r[a+1]),this._$AH[a]=c}o&&!i&&this.j(e)}j(e){e===l?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},G=class extends x{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===l?void 0:e}},Y=class extends x{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==l)}},Q=class extends x{constructor(e,t,s,i,r){super(e,t,s,i,r),this.type=5}_$AI(e,t=this){if((e=E(this,e,t,0)??l)===A)return;let s=this._$AH,i=e===l&&s!==l||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,r=e!==l&&(s===l||i);i&&this.element.removeEventListener(this.name,this,s),r&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},X=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){E(this,e)}};var Ie=ee.litHtmlPolyfillSupport;Ie?.(R,T),(ee.litHtmlVersions??=[]).push("3.3.3");var we=(n,e,t)=>{let s=t?.renderBefore??e,i=s._$litPart$;if(i===void 0){let r=t?.renderBefore??null;s._$litPart$=i=new T(e.insertBefore(N(),r),r,void 0,t??{})}return i._$AI(n),i};var ie=globalThis,g=class extends _{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=we(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return A}};g._$litElement$=!0,g.finalized=!0,ie.litElementHydrateSupport?.({LitElement:g});var Je=ie.litElementPolyfillSupport;Je?.({LitElement:g});(ie.litElementVersions??=[]).push("4.2.2");var Ze={labels:{limit:"Grid limit",margin:"Safety margin",household:"Household",solar_surplus:"Solar surplus",ev_budget:"EV budget",quarter_peak:"Quarter peak",dimmed:"Dimming",dimmed_on:"Dimmed by the grid operator",dimmed_off:"Not dimmed",off_peak:"Off-peak",on:"On",off:"Off",mode:"Mode",profile:"Profile",allocated:"Allocated",drawn:"Drawn",session:"Session",plan:"Plan",no_site:"No Smart Charging site found. Choose one in the card's settings.",no_chargers:"No charger yet: add one on the site's integration entry.",site:"Site",boost:"Boost"},mode:{off:"Off",fast:"Fast",solar:"Solar only",solar_min:"Minimum and solar",off_peak:"Off-peak",smart:"Smart"},profile:{premium:"Premium",standard:"Standard"},status:{disconnected:"Disconnected",charging:"Charging",waiting_for_solar:"Waiting for solar",waiting_for_off_peak:"Waiting for off-peak",scheduled:"Scheduled",paused_by_cap:"Paused by the grid limit",off:"Off",failsafe:"Failsafe",error:"Error"},reason:{disconnected:"No car is plugged in.",charging:"The car takes the power the site can give it now.",waiting_for_solar:"Waits until the solar surplus covers the minimum current.",waiting_for_off_peak:"Waits for the off-peak hours.",scheduled:"Waits for its planned slot.",paused_by_cap:"The grid limit leaves too little for the minimum current.",off:"Mode off or smart control off: nothing is charged or written.",failsafe:"A sensor cannot be trusted: the charger is held at the failsafe current.",error:"The wallbox did not take the last setpoint; retrying."},boost:{armed:"Armed: waits for the car",active:"Active"}},Ge={labels:{limit:"Limite du r\xE9seau",margin:"Marge de s\xE9curit\xE9",household:"Maison",solar_surplus:"Surplus solaire",ev_budget:"Budget v\xE9hicules",quarter_peak:"Pointe du quart d'heure",dimmed:"Modulation",dimmed_on:"Modul\xE9 par le gestionnaire du r\xE9seau",dimmed_off:"Non modul\xE9",off_peak:"Heures creuses",on:"Oui",off:"Non",mode:"Mode",profile:"Profil",allocated:"Attribu\xE9e",drawn:"Consomm\xE9e",session:"Session",plan:"Plan",no_site:"Aucun site Smart Charging trouv\xE9. Choisissez-en un dans les r\xE9glages de la carte.",no_chargers:"Aucune borne : ajoutez-en une dans l'entr\xE9e du site.",site:"Site",boost:"Boost"},mode:{off:"Arr\xEAt",fast:"Rapide",solar:"Solaire uniquement",solar_min:"Minimum et solaire",off_peak:"Heures creuses",smart:"Intelligent"},profile:{premium:"Premium",standard:"Standard"},status:{disconnected:"D\xE9connect\xE9",charging:"En charge",waiting_for_solar:"En attente du solaire",waiting_for_off_peak:"En attente des heures creuses",scheduled:"Planifi\xE9",paused_by_cap:"En pause (limite du r\xE9seau)",off:"Arr\xEAt",failsafe:"Mode de s\xE9curit\xE9",error:"Erreur"},reason:{disconnected:"Aucune voiture n'est branch\xE9e.",charging:"La voiture prend la puissance que le site peut lui donner.",waiting_for_solar:"Attend que le surplus solaire couvre le courant minimum.",waiting_for_off_peak:"Attend les heures creuses.",scheduled:"Attend son cr\xE9neau planifi\xE9.",paused_by_cap:"La limite du r\xE9seau laisse trop peu pour le courant minimum.",off:"Mode arr\xEAt ou pilotage coup\xE9 : rien n'est charg\xE9 ni \xE9crit.",failsafe:"Un capteur n'est pas fiable : la borne reste au courant de s\xE9curit\xE9.",error:"La borne n'a pas pris la derni\xE8re consigne ; nouvel essai."},boost:{armed:"Arm\xE9 : attend la voiture",active:"Actif"}},Ye={labels:{limit:"Netzgrenze",margin:"Sicherheitsreserve",household:"Haushalt",solar_surplus:"PV-\xDCberschuss",ev_budget:"Budget f\xFCr Fahrzeuge",quarter_peak:"Viertelstundenspitze",dimmed:"Dimmung",dimmed_on:"Vom Netzbetreiber gedimmt",dimmed_off:"Nicht gedimmt",off_peak:"Niedertarif",on:"Ja",off:"Nein",mode:"Modus",profile:"Profil",allocated:"Zugeteilt",drawn:"Bezogen",session:"Ladevorgang",plan:"Plan",no_site:"Kein Smart-Charging-Standort gefunden. W\xE4hlen Sie einen in den Karteneinstellungen.",no_chargers:"Noch keine Ladestation: f\xFCgen Sie eine im Eintrag des Standorts hinzu.",site:"Standort",boost:"Boost"},mode:{off:"Aus",fast:"Schnell",solar:"Nur PV",solar_min:"Minimum und PV",off_peak:"Niedertarif",smart:"Smart"},profile:{premium:"Premium",standard:"Standard"},status:{disconnected:"Nicht verbunden",charging:"L\xE4dt",waiting_for_solar:"Wartet auf PV",waiting_for_off_peak:"Wartet auf Niedertarif",scheduled:"Geplant",paused_by_cap:"Pausiert durch Netzgrenze",off:"Aus",failsafe:"Failsafe",error:"Fehler"},reason:{disconnected:"Kein Auto angesteckt.",charging:"Das Auto nimmt die Leistung, die der Standort ihm jetzt geben kann.",waiting_for_solar:"Wartet, bis der PV-\xDCberschuss den Mindeststrom deckt.",waiting_for_off_peak:"Wartet auf den Niedertarif.",scheduled:"Wartet auf sein geplantes Zeitfenster.",paused_by_cap:"Die Netzgrenze l\xE4sst zu wenig f\xFCr den Mindeststrom.",off:"Modus aus oder Steuerung aus: nichts wird geladen oder geschrieben.",failsafe:"Ein Sensor ist nicht verl\xE4sslich: die Ladestation bleibt beim Failsafe-Strom.",error:"Die Wallbox hat den letzten Sollwert nicht \xFCbernommen; neuer Versuch."},boost:{armed:"Bereit: wartet auf das Auto",active:"Aktiv"}},Qe={en:Ze,fr:Ge,de:Ye};function Xe(n){let e=(n??"en").toLowerCase().split(/[-_]/)[0];return e==="fr"||e==="de"?e:"en"}function O(n){return Qe[Xe(n)]}function D(n,e){return e===void 0?"\u2014":n[e]??e.replaceAll("_"," ")}function Ce(n,e){return e===void 0?"":O(n).reason[e]??""}var ke="smart_charging",et="ev_budget";function Pe(n){return n.name_by_user||n.name||n.id}function Ne(n,e){let t={};for(let s of Object.values(n))s.platform===ke&&s.device_id===e&&s.translation_key&&!(s.translation_key in t)&&(t[s.translation_key]=s.entity_id);return t}function Me(n,e){return n.name.localeCompare(e.name)}function H(n,e){let t=new Set;for(let s of Object.values(n))s.platform===ke&&s.translation_key===et&&s.device_id&&e[s.device_id]&&t.add(s.device_id);return[...t].map(s=>{let i=e[s];return{device:i,name:Pe(i),entities:Ne(n,s)}}).sort(Me)}function re(n,e,t){let s=H(n,e);return t?s.find(i=>i.device.id===t||(i.device.config_entries??[]).includes(t)):s.length===1?s[0]:void 0}function oe(n,e,t){return Object.values(e).filter(s=>s.via_device_id===t).map(s=>({device:s,name:Pe(s),entities:Ne(n,s.id)})).filter(s=>Object.keys(s.entities).length>0).sort(Me)}function ae(n){if(!n||n.state===""||n.state==="unavailable")return;let e=Number(n.state);return Number.isFinite(e)?e:void 0}function U(n){let e=ae(n);if(e===void 0||!n)return;let t=String(n.attributes.unit_of_measurement??"W");return e*(t==="kW"?1e3:t==="MW"?1e6:1)}function ne(n,e){return new Intl.NumberFormat(n,{maximumFractionDigits:e,minimumFractionDigits:e})}function b(n,e="en"){return n===void 0||!Number.isFinite(n)?"\u2014":Math.abs(n)<1e3?`${ne(e,0).format(Math.round(n))} W`:`${ne(e,1).format(n/1e3)} kW`}function Re(n,e="en"){return n===void 0||!Number.isFinite(n)?"\u2014":`${ne(e,2).format(n)} kWh`}function de(n,e){return n===void 0||e===void 0||!(e>0)?0:Math.max(0,Math.min(100,n/e*100))}function tt(n){if(!Array.isArray(n))return[];let e=[];for(let t of n){if(typeof t!="object"||t===null)continue;let s=t,i=Date.parse(String(s.start)),r=Date.parse(String(s.end)),o=Number(s.power_w??0);Number.isFinite(i)&&Number.isFinite(r)&&r>i&&e.push({start:i,end:r,power_w:Number.isFinite(o)?o:0})}return e.sort((t,s)=>t.start-s.start)}function Te(n,e){let t=tt(n).filter(o=>o.end>e);if(t.length===0)return;let s=Math.min(e,t[0].start),i=Math.max(...t.map(o=>o.end)),r=i-s;return{from:s,to:i,segments:t.map(o=>({...o,left:(Math.max(o.start,s)-s)/r*100,width:(o.end-Math.max(o.start,s))/r*100}))}}function Oe(n){let e=n?.attributes.options;return Array.isArray(e)?e.map(String):[]}var st=["measured_power","charging_power","power"],F=class extends g{static{this.properties={hass:{attribute:!1},_config:{state:!0}}}static getConfigElement(){return document.createElement("smart-charging-card-editor")}static getStubConfig(e){let t=H(e.entities,e.devices)[0];return t?{site:t.device.id}:{}}setConfig(e){if(!e||typeof e!="object")throw new Error("Invalid configuration");this._config=e}getCardSize(){if(!this.hass||!this._config)return 3;let e=re(this.hass.entities,this.hass.devices,this._config.site);return 3+3*(e?oe(this.hass.entities,this.hass.devices,e.device.id):[]).length}get language(){return this.hass?.locale?.language??this.hass?.language??"en"}state(e){return e?this.hass?.states[e]:void 0}stateText(e,t){if(!e)return"\u2014";if(e.state==="unavailable"||e.state==="unknown")return D(t,void 0);let s=t[e.state];if(s!==void 0){let i=this.hass?.formatEntityState?.(e);return i&&i!==e.state?i:s}return this.hass?.formatEntityState?.(e)??D(t,e.state)}render(){if(!this.hass||!this._config)return l;let e=O(this.language),t=re(this.hass.entities,this.hass.devices,this._config.site);if(!t)return p`<ha-card><div class="empty">${e.labels.no_site}</div></ha-card>`;let s=oe(this.hass.entities,this.hass.devices,t.device.id);return p`
      <ha-card>
        <h1 class="title">${this._config.title??t.name}</h1>
        ${this.renderSite(t,e)}
        <div class="chargers">
          ${s.length===0?p`<div class="empty">${e.labels.no_chargers}</div>`:s.map(i=>this.renderCharger(i,e))}
        </div>
      </ha-card>
    `}siteAttribute(e,t){for(let s of Object.values(e)){let i=Number(this.state(s)?.attributes[t]);if(this.state(s)?.attributes[t]!==void 0&&Number.isFinite(i))return i}}renderSite(e,t){let s=e.entities,i=this.language,r=[],o=this.siteAttribute(s,"grid_limit_kw");o!==void 0&&r.push(["limit",t.labels.limit,b(o*1e3,i)]);for(let a of["household_power","solar_surplus","ev_budget"])if(s[a]){let c=t.labels[a==="household_power"?"household":a];r.push([a,c,b(U(this.state(s[a])),i)])}let d=this.siteAttribute(s,"safety_margin_kw");if(d!==void 0&&r.push(["margin",t.labels.margin,b(d*1e3,i)]),s.quarter_peak){let a=this.state(s.quarter_peak),c=Number(a?.attributes.peak_limit_kw),u=b(U(a),i);r.push(["quarter_peak",t.labels.quarter_peak,c>0?`${u} / ${b(c*1e3,i)}`:u])}if(s.dimmed){let a=this.state(s.dimmed)?.state==="on";r.push(["dimmed",t.labels.dimmed,a?t.labels.dimmed_on:t.labels.dimmed_off])}if(s.off_peak){let a=this.state(s.off_peak)?.state==="on";r.push(["off_peak",t.labels.off_peak,a?t.labels.on:t.labels.off])}return p`
      <div class="site">
        ${r.map(([a,c,u])=>p`
            <div class="figure" data-figure=${a}>
              <span class="label">${c}</span>
              <span class="value">${u}</span>
            </div>
          `)}
      </div>
    `}drawnPower(e){let t=this._config?.power_entities??{},s=t[e.device.id]??t[e.name]??st.map(r=>e.entities[r]).find(Boolean);if(s)return U(this.state(s));let i=this.state(e.entities.allocated_power)?.attributes.measured_power_w;return typeof i=="number"&&Number.isFinite(i)?i:void 0}select(e,t,s,i){let r=this.state(e);if(!e||!r)return l;let o=Oe(r);return p`
      <label class="control">
        <span class="label">${t}</span>
        <select
          name=${i}
          aria-label=${t}
          .value=${r.state}
          ?disabled=${r.state==="unavailable"}
          @change=${d=>this.choose(e,d)}
        >
          ${o.map(d=>p`<option value=${d} ?selected=${d===r.state}>
                ${D(s,d)}
              </option>`)}
        </select>
      </label>
    `}choose(e,t){let s=t.target.value;this.hass?.callService("select","select_option",{entity_id:e,option:s})}renderCharger(e,t){let s=e.entities,i=this.language,r=this.state(s.status),o=r?.state,d=U(this.state(s.allocated_power)),a=this.drawnPower(e),c=ae(this.state(s.session_energy)),u=r?.attributes.boost,f=this.state(s.mode)?.state==="smart"?this.state(s.planned_start):void 0,m=Math.max(d??0,a??0);return p`
      <div class="charger" data-charger=${e.name}>
        <div class="head">
          <span class="name">${e.name}</span>
          <span class="status status-${o??"unknown"}">
            ${this.stateText(r,t.status)}
          </span>
        </div>
        <div class="reason">
          ${Ce(i,o)}
          ${typeof u=="string"&&u?p`<span class="boost">${t.labels.boost}: ${D(t.boost,u)}</span>`:l}
        </div>
        <div class="controls">
          ${this.select(s.mode,t.labels.mode,t.mode,"mode")}
          ${this.select(s.profile,t.labels.profile,t.profile,"profile")}
        </div>
        <div class="power">
          <span class="figure" data-figure="allocated">
            <span class="label">${t.labels.allocated}</span>
            <span class="value">${b(d,i)}</span>
          </span>
          ${a!==void 0?p`<span class="figure" data-figure="drawn">
                <span class="label">${t.labels.drawn}</span>
                <span class="value">${b(a,i)}</span>
              </span>`:l}
          <span class="figure" data-figure="session">
            <span class="label">${t.labels.session}</span>
            <span class="value">${Re(c,i)}</span>
          </span>
        </div>
        <div class="bar" title="${t.labels.allocated} / ${t.labels.drawn}">
          <div class="allocated" style="width: ${de(d,m)}%"></div>
          ${a!==void 0?p`<div class="drawn" style="width: ${de(a,m)}%"></div>`:l}
        </div>
        ${f?this.renderPlan(f,t):l}
      </div>
    `}renderPlan(e,t){let s=Te(e.attributes.schedule,Date.now());if(!s)return l;let i=r=>new Date(r).toLocaleTimeString(this.language,{hour:"2-digit",minute:"2-digit"});return p`
      <div class="plan">
        <span class="label">${t.labels.plan}</span>
        <div class="timeline">
          ${s.segments.map(r=>p`<div
              class="slot"
              style="left: ${r.left}%; width: ${r.width}%"
              title="${i(r.start)}–${i(r.end)} · ${b(r.power_w,this.language)}"
            ></div>`)}
        </div>
        <div class="ends"><span>${i(s.from)}</span><span>${i(s.to)}</span></div>
      </div>
    `}static{this.styles=C`
    ha-card {
      padding: 16px;
    }
    .title {
      font-size: 1.4em;
      font-weight: 400;
      margin: 0 0 12px;
    }
    .site {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(120px, 1fr));
      gap: 8px 16px;
      margin-bottom: 16px;
    }
    .figure {
      display: flex;
      flex-direction: column;
    }
    .label {
      color: var(--secondary-text-color);
      font-size: 0.85em;
    }
    .value {
      font-size: 1.15em;
    }
    .charger {
      border-top: 1px solid var(--divider-color, #ddd);
      padding: 12px 0 4px;
    }
    .head {
      display: flex;
      justify-content: space-between;
      align-items: baseline;
      gap: 8px;
    }
    .name {
      font-weight: 500;
      font-size: 1.1em;
    }
    .status {
      border-radius: 12px;
      padding: 2px 10px;
      font-size: 0.9em;
      background: var(--secondary-background-color, #eee);
    }
    .status-charging {
      background: var(--success-color, #43a047);
      color: #fff;
    }
    .status-error,
    .status-failsafe {
      background: var(--error-color, #db4437);
      color: #fff;
    }
    .status-paused_by_cap {
      background: var(--warning-color, #ffa600);
      color: #fff;
    }
    .reason {
      color: var(--secondary-text-color);
      font-size: 0.9em;
      margin: 4px 0 8px;
    }
    .boost {
      margin-left: 8px;
      font-weight: 500;
    }
    .controls {
      display: flex;
      gap: 16px;
      flex-wrap: wrap;
      margin-bottom: 8px;
    }
    .control {
      display: flex;
      flex-direction: column;
      flex: 1;
      min-width: 120px;
    }
    select {
      font: inherit;
      padding: 4px;
      color: var(--primary-text-color);
      background: var(--card-background-color, #fff);
      border: 1px solid var(--divider-color, #ccc);
      border-radius: 4px;
    }
    .power {
      display: flex;
      gap: 24px;
    }
    .bar,
    .timeline {
      position: relative;
      height: 8px;
      border-radius: 4px;
      background: var(--secondary-background-color, #eee);
      margin: 6px 0;
      overflow: hidden;
    }
    .bar .allocated {
      position: absolute;
      inset: 0 auto 0 0;
      background: var(--primary-color, #03a9f4);
      opacity: 0.35;
    }
    .bar .drawn {
      position: absolute;
      inset: 2px auto 2px 0;
      background: var(--primary-color, #03a9f4);
    }
    .timeline .slot {
      position: absolute;
      top: 0;
      bottom: 0;
      background: var(--success-color, #43a047);
    }
    .ends {
      display: flex;
      justify-content: space-between;
      font-size: 0.8em;
      color: var(--secondary-text-color);
    }
    .empty {
      color: var(--secondary-text-color);
    }
  `}};var K=class extends g{static{this.properties={hass:{attribute:!1},_config:{state:!0}}}setConfig(e){this._config=e}render(){if(!this.hass||!this._config)return l;let e=O(this.hass.locale?.language??this.hass.language),t=H(this.hass.entities,this.hass.devices),s=this._config.site??"";return p`
      <label>
        <span>${e.labels.site}</span>
        <select name="site" .value=${s} @change=${this.changed}>
          ${s&&!t.some(i=>i.device.id===s)?p`<option value=${s} selected>${s}</option>`:l}
          ${t.map(i=>p`<option value=${i.device.id} ?selected=${i.device.id===s}>
                ${i.name}
              </option>`)}
        </select>
      </label>
    `}changed(e){let t=e.target.value;!this._config||t===this._config.site||(this._config={...this._config,site:t},this.dispatchEvent(new CustomEvent("config-changed",{detail:{config:this._config},bubbles:!0,composed:!0})))}static{this.styles=C`
    label {
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    select {
      font: inherit;
      padding: 6px;
    }
  `}};var it=[["smart-charging-card",F],["smart-charging-card-editor",K]];function nt(){for(let[n,e]of it)window.customElements.get(n)||window.customElements.define(n,e)}var rt=window.customElements.get("home-assistant")?Promise.resolve():Promise.race([window.customElements.whenDefined("home-assistant"),new Promise(n=>setTimeout(n,1e4))]);rt.then(nt);var De=window.customCards??=[];De.some(n=>n.type==="smart-charging-card")||De.push({type:"smart-charging-card",name:"Smart Charging",description:"A site's power budget and its chargers: mode, profile, status and plan.",preview:!0});
